/**
 * Union–find over unknown sizes. Every size constraint of the language is an equality (between two
 * sizes, or between a size and a number), so inference is: merge equal sizes, and a class that
 * holds two different numbers is a mismatch. Each class remembers where its number came from.
 */
import type { Span } from './span.js';

export interface SizeOrigin {
  readonly span: Span;
  /** What fixed the size, in words: "in: 8", "transpose(4, 8)", "the declaration of map 'f'". */
  readonly what: string;
}

/** Two different numbers for one size: `a` already held, `b` newly asserted. */
export interface SizeConflict {
  readonly a: number;
  readonly b: number;
  readonly originA?: SizeOrigin;
  readonly originB?: SizeOrigin;
}

export type SizeVar = number;

export class SizeSolver {
  private readonly parent: number[] = [];
  private readonly values: (number | undefined)[] = [];
  private readonly origins: (SizeOrigin | undefined)[] = [];

  fresh(): SizeVar {
    this.parent.push(this.parent.length);
    this.values.push(undefined);
    this.origins.push(undefined);
    return this.parent.length - 1;
  }

  find(v: SizeVar): SizeVar {
    let root = v;
    while (this.parent[root] !== root) root = this.parent[root];
    while (this.parent[v] !== root) {
      const next = this.parent[v];
      this.parent[v] = root;
      v = next;
    }
    return root;
  }

  value(v: SizeVar): number | undefined {
    return this.values[this.find(v)];
  }

  origin(v: SizeVar): SizeOrigin | undefined {
    return this.origins[this.find(v)];
  }

  fix(v: SizeVar, value: number, origin: SizeOrigin): SizeConflict | undefined {
    const r = this.find(v);
    const held = this.values[r];
    if (held !== undefined) return held === value ? undefined : { a: held, b: value, originA: this.origins[r], originB: origin };
    this.values[r] = value;
    this.origins[r] = origin;
    return undefined;
  }

  /** Merges the classes of x and y; on a conflict nothing changes (a = x's number, b = y's). */
  unify(x: SizeVar, y: SizeVar): SizeConflict | undefined {
    const rx = this.find(x);
    const ry = this.find(y);
    if (rx === ry) return undefined;
    const vx = this.values[rx];
    const vy = this.values[ry];
    if (vx !== undefined && vy !== undefined && vx !== vy) return { a: vx, b: vy, originA: this.origins[rx], originB: this.origins[ry] };
    this.parent[ry] = rx;
    if (vx === undefined) {
      this.values[rx] = vy;
      this.origins[rx] = this.origins[ry];
    }
    return undefined;
  }
}
