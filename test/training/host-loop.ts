/**
 * The training loop as monc train ran it before fitMse, written with the runner's public calls
 * (forward, backward, an optimizer's step, params): per step the mini-batch goes up, Y comes back
 * for the loss, DY = 2(Y − T)/(r·m) is computed on the host, backward reads dx and every gradient
 * back, and the parameters are read back to check them. It stops where monc train stopped: a
 * non-finite loss; on webgpu a non-finite gradient or one whose square float32 cannot hold (Adam);
 * parameters the module cannot load. fitMse must give the same parameters and the same stop; the
 * speed figure compares the two.
 */
import type { Dtype } from '../../src/manifest/program.js';
import type { MapRunner } from '../../src/runtime/map-runner.js';
import { gatherRows, miniBatches } from '../../src/runtime/minibatches.js';
import type { FitMseOptions } from '../../src/runtime/fit-mse.js';
import { checkValues, ValueRangeError } from '../../src/runtime/numerics.js';

export interface HostLoopResult {
  /** Each step's mini-batch loss (float64 of the f32 Y), the stopping step's included. */
  readonly losses: number[];
  /** Where and why it stopped, in the words fitMse uses; undefined when every step ran. */
  readonly stop?: { readonly step: number; readonly detail: string };
}

/** Runs the host loop on `runner` (`checks` false: no checks at all, every step runs). */
export async function hostLoopMse(runner: MapRunner, dtype: Dtype, x: Float32Array, target: Float32Array, options: FitMseOptions, checks = true): Promise<HostLoopResult> {
  const rows = x.length / runner.in;
  const batch = Math.min(options.batch ?? rows, rows);
  const optimizer = runner.createOptimizer(options.optimizer);
  const next = miniBatches(rows, batch, options.seed ?? 0);
  const losses: number[] = [];
  const of = (step: number) => `step ${step} of ${options.steps}`;
  for (let step = 1; step <= options.steps; step++) {
    const picked = next();
    const xb = picked ? gatherRows(x, runner.in, picked) : x;
    const tb = picked ? gatherRows(target, runner.out, picked) : target;
    const r = picked ? picked.length : rows;
    const y = await runner.forward(xb, r);
    let sum = 0;
    for (let i = 0; i < y.length; i++) sum += (y[i] - tb[i]) ** 2;
    const loss = sum / y.length;
    losses.push(loss);
    if (checks && !Number.isFinite(loss)) return { losses, stop: { step, detail: `the loss became ${loss} at ${of(step)}` } };
    const dy = Float32Array.from(y, (v, i) => ((v - tb[i]) * 2) / y.length);
    const { grads } = await runner.backward(xb, dy, r);
    if (checks && runner.backend === 'webgpu') {
      let largest = 0;
      for (const [name, g] of grads) {
        for (const v of g) {
          if (!Number.isFinite(v)) return { losses, stop: { step, detail: `the gradient of ${name} became ${v} (${of(step)})` } };
          largest = Math.max(largest, Math.abs(v));
        }
      }
      if (options.optimizer.kind !== 'sgd' && largest > Math.sqrt(3.4028234663852886e38)) {
        const detail = `a gradient reached ${largest.toPrecision(3)}: Adam's second moment (about g²) overflows the float32 optimizer state of webgpu above about 1.8e19, and the update would silently be 0 (${of(step)})`;
        return { losses, stop: { step, detail } };
      }
    }
    await optimizer.step();
    if (!checks) continue;
    const params = await runner.params();
    for (const entry of runner.map.params) {
      try {
        checkValues(params.get(entry.name)!, dtype, `parameter tensor '${entry.name}'`, entry.shape);
      } catch (e) {
        if (!(e instanceof ValueRangeError)) throw e;
        const what = dtype === 'f16' ? 'overflowed the f16 range (±65504)' : 'became non-finite';
        return { losses, stop: { step, detail: `the parameters ${what} at ${of(step)} (${e.message})` } };
      }
    }
  }
  return { losses };
}
