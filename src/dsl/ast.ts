/**
 * The syntax tree of a `.mon` file, as written (SPEC §3). Plain readonly objects with a `kind`
 * and a span on every node. Arithmetic is stored n-ary per precedence level (`a + b - c` is one
 * node) so that long operator runs never make a deep tree; only parentheses nest.
 */
import type { Span } from './span.js';

export interface Identifier {
  readonly kind: 'identifier';
  readonly name: string;
  readonly span: Span;
}

/** An integer literal (at most 2^31 - 1; larger literals are rejected by the parser). */
export interface IntLiteral {
  readonly kind: 'int';
  readonly value: number;
  readonly span: Span;
}

/** A bare name in value position: a constant in an integer expression, or a word like `increasing`. */
export interface NameValue {
  readonly kind: 'name';
  readonly name: string;
  readonly span: Span;
}

export type ArithOperator = '+' | '-' | '*' | '/' | '^';

/**
 * `operands[0] op[0] operands[1] op[1] …`, all operators of one precedence level:
 * `+ -` and `* /` associate to the left, `^` to the right.
 */
export interface ArithExpr {
  readonly kind: 'arith';
  readonly operands: readonly IntExpr[];
  readonly operators: readonly ArithOperator[];
  readonly span: Span;
}

export type IntExpr = IntLiteral | NameValue | ArithExpr;

/** A decimal literal such as `0.1`, kept as written so that it can be used exactly. */
export interface DecimalLiteral {
  readonly kind: 'decimal';
  readonly text: string;
  readonly span: Span;
}

export interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
  readonly span: Span;
}

export interface ListValue {
  readonly kind: 'list';
  readonly items: readonly Value[];
  readonly span: Span;
}

/** `name(args)`: a constructor in a map expression, or a pattern in an argument. */
export interface Call {
  readonly kind: 'call';
  readonly callee: Identifier;
  readonly args: readonly Argument[];
  readonly span: Span;
}

/** `name: value`, or a positional `value` (name absent). */
export interface Argument {
  readonly kind: 'argument';
  readonly name?: Identifier;
  readonly value: Value;
  readonly span: Span;
}

export type Value = IntExpr | DecimalLiteral | StringLiteral | ListValue | Call;

/** A map's name used in another map's expression (weight tying). */
export interface MapRef {
  readonly kind: 'mapref';
  readonly name: string;
  readonly span: Span;
}

/** `A + B + …` (n-ary; at least two terms). */
export interface SumExpr {
  readonly kind: 'sum';
  readonly terms: readonly MapExpr[];
  readonly span: Span;
}

/** `A @ B @ …` (n-ary; at least two factors; the rightmost is applied first). */
export interface ChainExpr {
  readonly kind: 'chain';
  readonly factors: readonly MapExpr[];
  readonly span: Span;
}

export type MapExpr = Call | MapRef | SumExpr | ChainExpr;

export interface ModuleDecl {
  readonly kind: 'module';
  readonly name: Identifier;
  readonly span: Span;
}

export interface DtypeDecl {
  readonly kind: 'dtype';
  readonly name: Identifier;
  readonly span: Span;
}

export interface ConstDecl {
  readonly kind: 'const';
  readonly name: Identifier;
  readonly value: IntExpr;
  readonly span: Span;
}

export interface MapDecl {
  readonly kind: 'map';
  readonly name: Identifier;
  readonly inSize: IntExpr;
  readonly outSize: IntExpr;
  readonly expr: MapExpr;
  readonly span: Span;
}

export type Statement = ModuleDecl | DtypeDecl | ConstDecl | MapDecl;

/** A parsed file: the statements that parsed without error, in source order. */
export interface SourceFile {
  readonly kind: 'file';
  readonly file: string;
  readonly statements: readonly Statement[];
  /** The names of the map statements dropped for their errors (`map NAME` at their start): they exist, unchecked. */
  readonly dropped?: readonly string[];
  readonly span: Span;
}
