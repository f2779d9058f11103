/**
 * Integer constant evaluation: + - * / ^ over integers, exact division, every intermediate value
 * within ±(2^31 - 1). Constants are declared before use (they are evaluated in source order).
 */
import type { ArithExpr, ConstDecl, IntExpr } from './ast.js';
import { Code, MAX_INT } from './codes.js';
import type { DiagnosticBag } from './diagnostics.js';
import { spanUnion, type Span } from './span.js';
import type { Suggester } from './suggest.js';

/**
 * The constants seen so far. A constant whose definition had an error is present with value
 * `undefined`, so that its uses do not repeat the error.
 */
export class ConstEnv {
  private readonly values = new Map<string, number | undefined>();
  /** Declarations not evaluated yet, to explain a use before declaration. */
  private readonly later = new Map<string, Span>();
  /** Names that are maps, to explain `in: up`. */
  private readonly maps = new Set<string>();

  constructor(
    private readonly bag: DiagnosticBag,
    consts: readonly ConstDecl[],
    mapNames: Iterable<string>,
    private readonly suggester: Suggester,
  ) {
    for (const c of consts) if (!this.later.has(c.name.name)) this.later.set(c.name.name, c.name.span);
    for (const m of mapNames) this.maps.add(m);
  }

  define(c: ConstDecl): void {
    if (this.values.has(c.name.name)) return; // a duplicate, reported by the name checks
    this.later.delete(c.name.name);
    this.values.set(c.name.name, this.eval(c.value));
  }

  /** A record without prototype, so that a constant named `__proto__` or `toString` is an ordinary key. */
  get defined(): Readonly<Record<string, number>> {
    const out: Record<string, number> = Object.create(null);
    for (const [k, v] of this.values) if (v !== undefined) out[k] = v;
    return out;
  }

  /** The value of an integer expression, or undefined after reporting why it has none. */
  eval(e: IntExpr): number | undefined {
    switch (e.kind) {
      case 'int':
        return e.value;
      case 'name':
        return this.lookup(e.name, e.span);
      case 'arith':
        return this.arith(e);
    }
  }

  private lookup(name: string, span: Span): number | undefined {
    if (this.values.has(name)) return this.values.get(name);
    const later = this.later.get(name);
    if (later) {
      this.bag.error(Code.UnknownConstant, `constant '${name}' is used before its declaration`, span, [
        { message: `'${name}' is declared here; constants must be declared before they are used`, span: later },
      ]);
    } else if (this.maps.has(name)) {
      this.bag.error(Code.UnknownConstant, `'${name}' is a map, not an integer constant`, span);
    } else {
      this.bag.error(Code.UnknownConstant, `unknown constant '${name}'${this.suggester.didYouMean(name, this.values.keys())}`, span);
    }
    return undefined;
  }

  private arith(e: ArithExpr): number | undefined {
    const values = e.operands.map((o) => this.eval(o));
    if (values.some((v) => v === undefined)) return undefined;
    const vs = values as number[];
    // Span of operands[i..j], for errors about a partial result.
    const part = (i: number, j: number) => spanUnion(e.operands[i].span, e.operands[j].span);
    if (e.operators[0] === '^') {
      let acc = vs[vs.length - 1];
      for (let i = vs.length - 2; i >= 0; i--) {
        const r = this.power(vs[i], acc, part(i, vs.length - 1), e.operands[i + 1].span);
        if (r === undefined) return undefined;
        acc = r;
      }
      return acc;
    }
    let acc = vs[0];
    for (let i = 0; i < e.operators.length; i++) {
      const b = vs[i + 1];
      const span = part(0, i + 1);
      let r: number;
      switch (e.operators[i]) {
        case '+':
          r = acc + b;
          break;
        case '-':
          r = acc - b;
          break;
        case '*':
          r = acc * b;
          break;
        case '/':
          if (b === 0) {
            this.bag.error(Code.DivisionByZero, 'division by zero', e.operands[i + 1].span);
            return undefined;
          }
          if (acc % b !== 0) {
            this.bag.error(Code.InexactDivision, `${acc} / ${b} is not an integer (division must be exact)`, span);
            return undefined;
          }
          r = acc / b;
          break;
        default:
          throw new Error(`internal error: operator ${e.operators[i]} mixed into one level`);
      }
      if (!this.inRange(r, span)) return undefined;
      acc = r;
    }
    return acc;
  }

  private power(base: number, exponent: number, span: Span, exponentSpan: Span): number | undefined {
    if (exponent < 0) {
      this.bag.error(Code.NegativeExponent, `negative exponent ${exponent}: powers must be integers`, exponentSpan);
      return undefined;
    }
    // |base| <= 1 never overflows; otherwise the loop stops after at most 31 steps.
    if (base === 0 || base === 1) return exponent === 0 ? 1 : base;
    if (base === -1) return exponent % 2 === 0 ? 1 : -1;
    let acc = 1;
    for (let i = 0; i < exponent; i++) {
      acc *= base;
      if (!this.inRange(acc, span)) return undefined;
    }
    return acc;
  }

  private inRange(v: number, span: Span): boolean {
    if (Math.abs(v) <= MAX_INT) return true;
    this.bag.error(Code.Overflow, `integer overflow: the value ${v > 0 ? `exceeds ${MAX_INT}` : `is below -${MAX_INT}`}`, span);
    return false;
  }
}

/** Checks a size or count computed from several integers (a product such as r·c) against the limit. */
export function productWithin(factors: readonly number[]): number | undefined {
  let acc = 1;
  for (const f of factors) {
    acc *= f;
    if (acc > MAX_INT) return undefined;
  }
  return acc;
}
