/**
 * The one registry of diagnostic codes, for every phase that reports them (the front end's
 * parser and checker, and the IR's lowering). Each entry says its severity, its title (the
 * meaning column of the code table) and the document that explains it with an example; a test
 * keeps that document's table and headings in sync with this registry, and another has a spec or
 * a call producing each code. This module imports nothing, so every layer may use it.
 */

/** How bad a diagnostic is: an error withholds the module, a warning does not. */
export type Severity = 'error' | 'warning' | 'note';

export interface CodeInfo {
  /** The code's name in `Code` (`Code.SyntaxError` is `'E0102'`). */
  readonly name: string;
  readonly severity: Exclude<Severity, 'note'>;
  /** One line, as in the code table of `doc` (markdown). */
  readonly title: string;
  /** The users' document that lists the code and shows it under a `### \`CODE\`: title` heading. */
  readonly doc: string;
}

const LANGUAGE = 'docs/language.md';
const PROJECTION = 'docs/projection.md';

export const CODES = {
  // Lexing and parsing.
  E0101: { name: 'UnexpectedCharacter', severity: 'error', title: 'unexpected character', doc: LANGUAGE },
  E0102: { name: 'SyntaxError', severity: 'error', title: 'syntax error', doc: LANGUAGE },
  E0103: { name: 'IntegerTooLarge', severity: 'error', title: 'integer literal too large', doc: LANGUAGE },
  E0104: { name: 'NestingTooDeep', severity: 'error', title: 'nesting too deep (over 200 levels)', doc: LANGUAGE },
  E0105: { name: 'NoMap', severity: 'error', title: 'no map declared', doc: LANGUAGE },
  E0106: { name: 'UnterminatedString', severity: 'error', title: 'unterminated string', doc: LANGUAGE },
  E0107: { name: 'DuplicateHeader', severity: 'error', title: '`module` or `dtype` declared twice', doc: LANGUAGE },
  E0108: { name: 'UnknownDtype', severity: 'error', title: 'unknown dtype', doc: LANGUAGE },
  // Constant evaluation.
  E0201: { name: 'UnknownConstant', severity: 'error', title: 'unknown constant (or used before its declaration, or a map used as an integer)', doc: LANGUAGE },
  E0202: { name: 'InexactDivision', severity: 'error', title: 'inexact division', doc: LANGUAGE },
  E0203: { name: 'DivisionByZero', severity: 'error', title: 'division by zero', doc: LANGUAGE },
  E0204: { name: 'Overflow', severity: 'error', title: 'integer overflow (beyond ±2147483647)', doc: LANGUAGE },
  E0205: { name: 'NegativeExponent', severity: 'error', title: 'negative exponent', doc: LANGUAGE },
  // Names.
  E0301: { name: 'DuplicateName', severity: 'error', title: 'duplicate name (constants and maps share one namespace)', doc: LANGUAGE },
  E0302: { name: 'UnknownMap', severity: 'error', title: 'unknown map', doc: LANGUAGE },
  E0303: { name: 'UnknownConstructor', severity: 'error', title: 'unknown constructor', doc: LANGUAGE },
  E0304: { name: 'ReferenceCycle', severity: 'error', title: 'reference cycle between maps', doc: LANGUAGE },
  E0305: { name: 'InvalidName', severity: 'error', title: 'unusable module or map name (reserved word, not an identifier)', doc: LANGUAGE },
  E0306: { name: 'UnknownPattern', severity: 'error', title: 'unknown sparsity pattern', doc: LANGUAGE },
  E0307: { name: 'NameTooLong', severity: 'error', title: 'a name over 128 characters', doc: LANGUAGE },
  E0308: { name: 'TooManyMaps', severity: 'error', title: 'more than 4096 maps in a module', doc: LANGUAGE },
  // Arguments.
  E0401: { name: 'UnknownArgument', severity: 'error', title: 'unknown argument', doc: LANGUAGE },
  E0402: { name: 'MissingArgument', severity: 'error', title: 'missing argument', doc: LANGUAGE },
  E0403: { name: 'DuplicateArgument', severity: 'error', title: 'duplicate argument', doc: LANGUAGE },
  E0404: { name: 'ArgumentType', severity: 'error', title: 'wrong argument type', doc: LANGUAGE },
  E0405: { name: 'PositionalArgument', severity: 'error', title: 'positional argument not allowed', doc: LANGUAGE },
  E0406: { name: 'ArgumentValue', severity: 'error', title: 'argument value out of range', doc: LANGUAGE },
  E0407: { name: 'ConflictingArguments', severity: 'error', title: 'conflicting arguments', doc: LANGUAGE },
  // Shapes.
  E0501: { name: 'CannotInfer', severity: 'error', title: 'a size cannot be inferred', doc: LANGUAGE },
  E0502: { name: 'ShapeMismatch', severity: 'error', title: 'sizes do not match', doc: LANGUAGE },
  E0503: { name: 'NotDivisible', severity: 'error', title: 'a size does not divide', doc: LANGUAGE },
  E0504: { name: 'NotAPower', severity: 'error', title: 'a size is not the required power', doc: LANGUAGE },
  E0505: { name: 'NotSquare', severity: 'error', title: 'a square constructor on a non-square shape', doc: LANGUAGE },
  E0506: { name: 'BiasPlacement', severity: 'error', title: '`bias()` outside the top-level sum', doc: LANGUAGE },
  E0507: { name: 'OnlyPermutations', severity: 'error', title: 'only permutations: no weighted factor', doc: LANGUAGE },
  E0508: { name: 'NonPositiveSize', severity: 'error', title: 'a map size below 1', doc: LANGUAGE },
  E0509: { name: 'TensorTooLarge', severity: 'error', title: 'a parameter tensor over 2³¹ − 1 elements', doc: LANGUAGE },
  E0510: { name: 'NblocksNeeded', severity: 'error', title: '`monarch` needs `nblocks:`', doc: LANGUAGE },
  E0511: { name: 'ParamsTooLarge', severity: 'error', title: "a map's parameters together over 2³¹ − 1 elements", doc: LANGUAGE },
  E0512: { name: 'ExpansionTooLarge', severity: 'error', title: 'the module over 20000 nodes once references are expanded', doc: LANGUAGE },
  E0513: { name: 'ExpansionTooDeep', severity: 'error', title: 'a map nested over 256 levels deep once references are expanded', doc: LANGUAGE },
  E0514: { name: 'TooManySteps', severity: 'error', title: 'the module over 1024 steps (block matmuls and bias adds) once references are expanded', doc: LANGUAGE },
  // Sparsity patterns.
  E0601: { name: 'FlatButterflyGrid', severity: 'error', title: 'flat_butterfly grid not square or not a power of two', doc: LANGUAGE },
  E0602: { name: 'MaskUnreadable', severity: 'error', title: 'mask cannot be read', doc: LANGUAGE },
  E0603: { name: 'MaskShape', severity: 'error', title: 'mask has the wrong shape', doc: LANGUAGE },
  E0604: { name: 'MaskValues', severity: 'error', title: 'mask values other than 0 and 1', doc: LANGUAGE },
  E0605: { name: 'EmptyPattern', severity: 'error', title: 'the pattern selects no block', doc: LANGUAGE },
  E0606: { name: 'GridTooLarge', severity: 'error', title: 'block grid over 2²⁴ blocks', doc: LANGUAGE },
  E0607: { name: 'TooManyBlocks', severity: 'error', title: 'sparsity patterns over 4194304 blocks, in one pattern or a module together', doc: LANGUAGE },
  // Lowering (the IR: maps that check but would need a data-movement step).
  E0701: { name: 'UnfusablePermutation', severity: 'error', title: 'a permutation with no block matmul beside it to absorb it', doc: LANGUAGE },
  E0702: { name: 'IdentityTerm', severity: 'error', title: 'a map or sum term that is the identity', doc: LANGUAGE },
  // Warnings.
  W0501: { name: 'RankNotSmaller', severity: 'warning', title: '`lowrank` rank not below min(n, m): not more efficient than dense', doc: LANGUAGE },
  // Projection (`monc project`), not the spec: the map's structure has no exact method.
  W0801: { name: 'HeuristicProjection', severity: 'warning', title: 'projection by a heuristic: no guarantee of the closest M', doc: PROJECTION },
} as const satisfies Record<string, CodeInfo>;

/** A diagnostic code: an unknown code is a type error. */
export type Code = keyof typeof CODES;

/** The codes whose severity is `S` (`DiagnosticBag.error` takes only error codes). */
export type CodeOf<S extends CodeInfo['severity']> = { [C in Code]: (typeof CODES)[C]['severity'] extends S ? C : never }[Code];

type CodesByName = { readonly [C in Code as (typeof CODES)[C]['name']]: C };

/** The codes by name, for the code that reports them: `Code.SyntaxError` is `'E0102'`. */
export const Code: CodesByName = Object.fromEntries(Object.entries(CODES).map(([code, info]) => [info.name, code])) as unknown as CodesByName;

/** The largest integer the language accepts anywhere (sizes index GPU buffers with 32-bit integers). */
export const MAX_INT = 2 ** 31 - 1;
