/**
 * A small seeded generator (mulberry32) and Gaussian samples (Box–Muller): projection must be
 * reproducible for a given seed on every platform, so it never uses Math.random.
 */
import { uniform01 } from '../../util/random.js';

export class Rng {
  /** Uniform in [0, 1). */
  readonly uniform: () => number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.uniform = uniform01(seed ^ 0x9e3779b9);
  }

  gaussian(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u = 1 - this.uniform(); // (0, 1]: log is finite
    const v = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  gaussianArray(length: number): Float64Array {
    const out = new Float64Array(length);
    for (let i = 0; i < length; i++) out[i] = this.gaussian();
    return out;
  }
}
