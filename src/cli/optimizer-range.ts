/**
 * On webgpu the optimizer state is float32 (the cpu backend keeps it in float64). Adam's second
 * moment v = β2·v + (1−β2)·g², divided by its bias correction 1 − β2^t, is about g²: once |g|
 * nears 1.8e19 it exceeds float32's range (3.4e38), sqrt(v) is Infinity and the update is 0, so
 * the weights would silently stop changing. This guard mirrors v in float64 from the gradients
 * each step reads back anyway, and says when float32 cannot hold it (or a gradient is not
 * finite), so that `monc train` stops instead of writing unchanged weights.
 */
import { resolveOptimizer, type OptimizerOptions } from '../runtime/optimizer.js';

const F32_MAX = 3.4028234663852886e38;

/** A check per step (1-based, in order): undefined, or why float32 optimizer state fails. */
export type RangeGuard = (grads: ReadonlyMap<string, ArrayLike<number>>, step: number) => string | undefined;

export function float32StateGuard(options: OptimizerOptions): RangeGuard {
  const r = resolveOptimizer(options);
  const v = new Map<string, Float64Array>();
  return (grads, step) => {
    let largest = 0;
    let over = false;
    for (const [name, g] of grads) {
      let state = v.get(name);
      if (!state) v.set(name, (state = new Float64Array(g.length)));
      for (let i = 0; i < g.length; i++) {
        if (!Number.isFinite(g[i])) return `the gradient of ${name} became ${g[i]}`;
        largest = Math.max(largest, Math.abs(g[i]));
        if (r.kernel === 'adam') {
          state[i] = r.beta2 * state[i] + (1 - r.beta2) * g[i] * g[i];
          over ||= state[i] / (1 - r.beta2 ** step) > F32_MAX;
        }
      }
    }
    if (!over) return undefined;
    return `a gradient reached ${largest.toPrecision(3)}: Adam's second moment (about g²) overflows the float32 optimizer state of webgpu above about 1.8e19, and the update would silently be 0`;
  };
}
