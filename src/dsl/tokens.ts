/**
 * Tokens of the `.mon` language (chevrotain). Keywords use `longer_alt` so that names such as
 * `mapping` stay identifiers. Comments (`#`, `//`) and white space are skipped.
 */
import { createToken, Lexer, type TokenType } from 'chevrotain';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\v\uFEFF]+/, group: Lexer.SKIPPED, line_breaks: true });
export const Comment = createToken({ name: 'Comment', pattern: /(?:#|\/\/)[^\n\r]*/, group: Lexer.SKIPPED });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'a name' });
const keyword = (word: string): TokenType =>
  createToken({ name: word[0].toUpperCase() + word.slice(1), pattern: new RegExp(word), longer_alt: Identifier, label: `'${word}'` });
export const Module = keyword('module');
export const Dtype = keyword('dtype');
export const Const = keyword('const');
export const MapKw = keyword('map');

export const Decimal = createToken({ name: 'Decimal', pattern: /\d+\.\d+/, label: 'a decimal number' });
export const Integer = createToken({ name: 'Integer', pattern: /\d+/, label: 'an integer' });
export const StringLit = createToken({ name: 'StringLit', pattern: /"[^"\r\n]*"/, label: 'a string' });
/** A string without its closing quote on the same line: lexed as a token so it is reported as such. */
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"[^"\r\n]*/, label: 'an unterminated string' });

export const Arrow = createToken({ name: 'Arrow', pattern: /->/, label: "'->'" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: "'='" });
export const Plus = createToken({ name: 'Plus', pattern: /\+/, label: "'+'" });
export const Minus = createToken({ name: 'Minus', pattern: /-/, label: "'-'" });
export const Star = createToken({ name: 'Star', pattern: /\*/, label: "'*'" });
export const Slash = createToken({ name: 'Slash', pattern: /\//, label: "'/'" });
export const Caret = createToken({ name: 'Caret', pattern: /\^/, label: "'^'" });
export const At = createToken({ name: 'At', pattern: /@/, label: "'@'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, label: "']'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });

/** Statement keywords: a statement starts at one of these when it is the first token of its line. */
export const statementKeywords: readonly TokenType[] = [Module, Dtype, Const, MapKw];

/** Order matters: comments before `/`, `->` before `-`, decimals before integers, keywords before names. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  Module,
  Dtype,
  Const,
  MapKw,
  Identifier,
  Decimal,
  Integer,
  StringLit,
  UnterminatedString,
  Arrow,
  Colon,
  Equals,
  Plus,
  Minus,
  Star,
  Slash,
  Caret,
  At,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
];

export const monLexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false });
