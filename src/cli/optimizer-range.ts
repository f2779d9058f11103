/**
 * On webgpu the optimizer state is float32 (the cpu backend keeps it in float64). Adam divides its
 * second moment by the bias correction, and v/(1 − β2^t) is a weighted mean of the g² seen so far:
 * it stays within float32's range (3.4e38) as long as every |g| ≤ √3.4e38 ≈ 1.8e19. Past that,
 * sqrt(v) may be Infinity and the update 0, so the weights would silently stop changing. This
 * guard checks that bound on the gradients each step reads back anyway (no copy of the optimizer
 * state or its update rule), so that `monc train` stops instead of writing unchanged weights.
 */
import type { OptimizerOptions } from '../runtime/optimizer.js';

/** The largest |g| whose square float32 holds. */
const F32_SQRT_MAX = Math.sqrt(3.4028234663852886e38);

/** A check per step: undefined, or why float32 optimizer state fails. */
export type RangeGuard = (grads: ReadonlyMap<string, ArrayLike<number>>) => string | undefined;

export function float32StateGuard(options: OptimizerOptions): RangeGuard {
  const adam = options.kind !== 'sgd';
  return (grads) => {
    let largest = 0;
    for (const [name, g] of grads) {
      for (let i = 0; i < g.length; i++) {
        if (!Number.isFinite(g[i])) return `the gradient of ${name} became ${g[i]}`;
        largest = Math.max(largest, Math.abs(g[i]));
      }
    }
    if (!adam || largest <= F32_SQRT_MAX) return undefined;
    return `a gradient reached ${largest.toPrecision(3)}: Adam's second moment (about g²) overflows the float32 optimizer state of webgpu above about 1.8e19, and the update would silently be 0`;
  };
}
