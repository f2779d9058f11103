/**
 * Parsing a `.mon` file: lex, split into statements, parse each statement with chevrotain (error
 * recovery on), and build the AST of those that parsed cleanly. A statement starts at `map`,
 * `const`, `module` or `dtype` as the first token of a line, so an error in one statement never
 * hides the errors of the next ones. Nothing here throws on bad input (arguments that are not strings are a MoncError).
 */
import type { ILexingError, IToken } from 'chevrotain';
import type { SourceFile, Statement } from './ast.js';
import { Code, MAX_INT } from './codes.js';
import { CstToAst } from './cst-to-ast.js';
import { DiagnosticBag, type Diagnostic } from './diagnostics.js';
import { describeToken, monGrammar } from './grammar.js';
import { MAX_MAPS } from './limits.js';
import { LineIndex } from './line-index.js';
import * as T from './tokens.js';
import { MoncError } from '../util/error.js';
import { describeValue } from '../util/describe-value.js';

/** Parentheses and brackets nested deeper than this are rejected before parsing (no stack overflow). */
export const MAX_NESTING = 200;
/** Lexical errors reported per file; garbage input would otherwise produce thousands. */
const MAX_LEXICAL_ERRORS = 20;

export interface ParseResult {
  readonly ast: SourceFile;
  readonly diagnostics: readonly Diagnostic[];
}

export function parse(source: string, file: string): ParseResult {
  // The library's first call (checkSource, compileKernels, compileModule come here): from
  // JavaScript an options object where the file name goes is an easy slip, not a TypeError.
  for (const [name, value] of [['source', source], ['file', file]] as const) {
    if (typeof value !== 'string') throw new MoncError('user', `a spec's ${name} must be a string (the arguments are (source, file, options)), not ${describeValue(value)}`);
  }
  const index = new LineIndex(file, source);
  const bag = new DiagnosticBag();
  const lexed = T.monLexer.tokenize(source);
  reportLexicalErrors(lexed.errors, source, index, bag);
  const builder = new CstToAst(index);
  const statements: Statement[] = [];
  const dropped: string[] = [];
  let maps = 0;
  const split = splitStatements(lexed.tokens);
  for (const [i, tokens] of split.entries()) {
    // Past the map limit the module is refused (by the name checks, at map MAX_MAPS + 1): the
    // rest of a huge file is not parsed.
    if (tokens[0].tokenType === T.MapKw && ++maps > MAX_MAPS + 1) break;
    // A statement with an unexpected character is dropped, as one with a syntax error is: parsed and checked without
    // the character it would say things the user did not write (QA1 s28 Q704: `density: .5` read as `density: 5`).
    const end = split[i + 1]?.[0].startOffset ?? source.length;
    const statement = lexed.errors.some((e) => e.offset >= tokens[0].startOffset && e.offset < end) ? undefined : parseStatement(tokens, index, builder, bag);
    if (statement) statements.push(statement);
    // A map dropped for its error still exists: a map that uses it gets no 'unknown map' (REV28-7).
    else if (tokens[0].tokenType === T.MapKw && tokens[1]?.tokenType === T.Identifier) dropped.push(tokens[1].image);
  }
  return { ast: { kind: 'file', file, statements, dropped, span: index.span(0, source.length) }, diagnostics: bag.all };
}

function reportLexicalErrors(errors: readonly ILexingError[], source: string, index: LineIndex, bag: DiagnosticBag): void {
  // Adjacent runs of unexpected characters are one error.
  const runs: { start: number; end: number }[] = [];
  for (const e of errors) {
    const last = runs[runs.length - 1];
    if (last && last.end === e.offset) last.end = e.offset + e.length;
    else runs.push({ start: e.offset, end: e.offset + e.length });
  }
  for (const run of runs.slice(0, MAX_LEXICAL_ERRORS)) {
    // Counted in characters (code points): an emoji is one character, two UTF-16 units.
    const chars = [...source.slice(run.start, run.end)];
    const shown = chars.slice(0, 10).map((ch) => (/[\x21-\x7e]/.test(ch) ? ch : `\\u{${ch.codePointAt(0)!.toString(16)}}`)).join('');
    const what = chars.length === 1 ? 'character' : 'characters';
    bag.error(Code.UnexpectedCharacter, `unexpected ${what} '${shown}${chars.length > 10 ? '…' : ''}'`, index.span(run.start, run.end));
  }
  if (runs.length > MAX_LEXICAL_ERRORS) {
    const rest = runs[MAX_LEXICAL_ERRORS];
    bag.error(Code.UnexpectedCharacter, `${runs.length - MAX_LEXICAL_ERRORS} more runs of unexpected characters; is this a .mon file?`, index.span(rest.start, rest.end));
  }
}

/** A statement starts at a statement keyword that is the first token of its line. */
function splitStatements(tokens: readonly IToken[]): IToken[][] {
  const out: IToken[][] = [];
  let previousLine = 0;
  for (const t of tokens) {
    const startsLine = t.startLine !== previousLine;
    if (out.length === 0 || (startsLine && T.statementKeywords.includes(t.tokenType))) out.push([]);
    out[out.length - 1].push(t);
    previousLine = t.endLine ?? t.startLine ?? previousLine;
  }
  return out;
}

function tokenSpan(t: IToken, index: LineIndex) {
  return index.span(t.startOffset, (t.endOffset ?? t.startOffset) + 1);
}

/** Checks that must hold before chevrotain sees the tokens; false when the statement is unparseable. */
function prescan(tokens: readonly IToken[], index: LineIndex, bag: DiagnosticBag): boolean {
  let ok = true;
  let depth = 0;
  for (const t of tokens) {
    if (t.tokenType === T.UnterminatedString) {
      bag.error(Code.UnterminatedString, 'unterminated string: a string ends with \'"\' on the same line', tokenSpan(t, index));
      ok = false;
    } else if (t.tokenType === T.Integer && Number(t.image) > MAX_INT) {
      bag.error(Code.IntegerTooLarge, `integer ${describeToken(t)} is too large (the limit is ${MAX_INT})`, tokenSpan(t, index));
      ok = false;
    } else if (t.tokenType === T.LParen || t.tokenType === T.LBracket) {
      depth++;
      if (depth > MAX_NESTING) {
        bag.error(Code.NestingTooDeep, `parentheses and brackets nest too deeply (the limit is ${MAX_NESTING} levels)`, tokenSpan(t, index));
        return false;
      }
    } else if (t.tokenType === T.RParen || t.tokenType === T.RBracket) {
      depth = Math.max(0, depth - 1);
    }
  }
  return ok;
}

function parseStatement(tokens: IToken[], index: LineIndex, builder: CstToAst, bag: DiagnosticBag): Statement | undefined {
  if (!prescan(tokens, index, bag)) return undefined;
  monGrammar.input = tokens;
  const cst = monGrammar.statement();
  const errors = monGrammar.errors;
  for (const e of errors) {
    // At the end of the statement chevrotain reports its EOF token, which has no position:
    // point just after the last token instead.
    const at = Number.isFinite(e.token.startOffset) ? tokenSpan(e.token, index) : endOf(tokens[tokens.length - 1], index);
    bag.error(Code.SyntaxError, e.message, at);
  }
  return errors.length === 0 ? builder.statement(cst) : undefined;
}

function endOf(t: IToken, index: LineIndex) {
  const end = (t.endOffset ?? t.startOffset) + 1;
  return index.span(end, end);
}

