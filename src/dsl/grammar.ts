/**
 * The chevrotain grammar of one `.mon` statement (SPEC §3). It builds a concrete syntax tree with
 * error recovery on; `parser.ts` splits a file into statements and turns error-free trees into
 * the AST.
 *
 *   statement := module NAME | dtype NAME | const NAME = int | map NAME : int -> int = expr
 *   expr      := chain ('+' chain)*          chain := primary ('@' primary)*
 *   primary   := '(' expr ')' | call | NAME
 *   call      := NAME '(' [argument (',' argument)*] ')'
 *   argument  := [NAME ':'] value
 *   value     := STRING | DECIMAL | list | call | int        list := '[' [value (',' value)*] ']'
 *   int       := term (('+' | '-') term)*    term := power (('*' | '/') power)*
 *   power     := atom ('^' atom)*            atom := INTEGER | NAME | '(' int ')'
 */
import { CstParser, EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import * as T from './tokens.js';
import { escapeHidden } from '../util/hidden-chars.js';

/** What the parser was looking for, per rule, in words (used when no single token was expected). */
const expectedByRule: Readonly<Record<string, string>> = {
  statement: "'map', 'const', 'module' or 'dtype'",
  primary: "a map expression (a constructor call such as dense(), a map name, or '(')",
  value: 'a value (an integer, a name, a string, a list or a pattern)',
  atom: "an integer, a constant name or '('",
};

export function describeToken(token: IToken): string {
  if (token.tokenType === EOF) return 'the end of the statement';
  // As written, cut by code points (not inside a surrogate pair); only what a terminal does not show as itself escaped,
  // as every message quotes the spec (QA1 s21 Q02: a string's non-ASCII letters became '?').
  const chars = [...token.image];
  return `'${escapeHidden(chars.length > 20 ? chars.slice(0, 20).join('') + '…' : token.image)}'`;
}

function label(t: TokenType): string {
  return t.LABEL ?? t.name;
}

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `expected ${label(expected)}, found ${describeToken(actual)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) =>
    `unexpected ${describeToken(firstRedundant)} after a complete statement (is an operator such as '@' or '+' missing?)`,
  buildNoViableAltMessage: ({ actual, ruleName }) => `expected ${expectedByRule[ruleName] ?? ruleName}, found ${describeToken(actual[0])}`,
  buildEarlyExitMessage: ({ actual, ruleName }) => `expected ${expectedByRule[ruleName] ?? ruleName}, found ${describeToken(actual[0])}`,
};

export class MonGrammar extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, nodeLocationTracking: 'onlyOffset', errorMessageProvider: messages, maxLookahead: 3 });
    this.performSelfAnalysis();
  }

  statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.moduleDecl) },
      { ALT: () => this.SUBRULE(this.dtypeDecl) },
      { ALT: () => this.SUBRULE(this.constDecl) },
      { ALT: () => this.SUBRULE(this.mapDecl) },
    ]);
  });

  moduleDecl = this.RULE('moduleDecl', () => {
    this.CONSUME(T.Module);
    this.CONSUME(T.Identifier);
  });

  dtypeDecl = this.RULE('dtypeDecl', () => {
    this.CONSUME(T.Dtype);
    this.CONSUME(T.Identifier);
  });

  constDecl = this.RULE('constDecl', () => {
    this.CONSUME(T.Const);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.intExpr);
  });

  mapDecl = this.RULE('mapDecl', () => {
    this.CONSUME(T.MapKw);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.intExpr, { LABEL: 'inSize' });
    this.CONSUME(T.Arrow);
    this.SUBRULE2(this.intExpr, { LABEL: 'outSize' });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.mapExpr);
  });

  mapExpr = this.RULE('mapExpr', () => {
    this.SUBRULE(this.chainExpr, { LABEL: 'terms' });
    this.MANY(() => {
      this.CONSUME(T.Plus);
      this.SUBRULE2(this.chainExpr, { LABEL: 'terms' });
    });
  });

  chainExpr = this.RULE('chainExpr', () => {
    this.SUBRULE(this.primary, { LABEL: 'factors' });
    this.MANY(() => {
      this.CONSUME(T.At);
      this.SUBRULE2(this.primary, { LABEL: 'factors' });
    });
  });

  primary = this.RULE('primary', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.mapExpr);
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.call) },
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: 'ref' }) },
    ]);
  });

  call = this.RULE('call', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.argument, { LABEL: 'args' });
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.argument, { LABEL: 'args' });
      });
    });
    this.CONSUME(T.RParen);
  });

  argument = this.RULE('argument', () => {
    this.OPTION(() => {
      this.CONSUME(T.Identifier, { LABEL: 'name' });
      this.CONSUME(T.Colon);
    });
    this.SUBRULE(this.value);
  });

  value = this.RULE('value', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.CONSUME(T.Decimal) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.call) },
      { ALT: () => this.SUBRULE(this.intExpr) },
    ]);
  });

  list = this.RULE('list', () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.value, { LABEL: 'items' });
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.value, { LABEL: 'items' });
      });
    });
    this.CONSUME(T.RBracket);
  });

  intExpr = this.RULE('intExpr', () => {
    this.SUBRULE(this.term, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus, { LABEL: 'op' }) }, { ALT: () => this.CONSUME(T.Minus, { LABEL: 'op' }) }]);
      this.SUBRULE2(this.term, { LABEL: 'operands' });
    });
  });

  term = this.RULE('term', () => {
    this.SUBRULE(this.power, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Star, { LABEL: 'op' }) }, { ALT: () => this.CONSUME(T.Slash, { LABEL: 'op' }) }]);
      this.SUBRULE2(this.power, { LABEL: 'operands' });
    });
  });

  power = this.RULE('power', () => {
    this.SUBRULE(this.atom, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(T.Caret, { LABEL: 'op' });
      this.SUBRULE2(this.atom, { LABEL: 'operands' });
    });
  });

  atom = this.RULE('atom', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Integer) },
      { ALT: () => this.CONSUME(T.Identifier) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.intExpr);
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });
}

/** One shared instance: chevrotain parsers are reusable through `input`, and self-analysis is costly. */
export const monGrammar = new MonGrammar();
