/**
 * Float64 semantics of the scheduled ops (ir.ts), for checking a kernel in isolation: the tuner
 * runs every candidate on random data and compares with this before it times anything.
 */
import type { Op, ParamLayoutEntry } from '../ir/ir.js';
import { runOps } from '../runtime/cpu-executor.js';

export interface OpLayout {
  readonly params: readonly ParamLayoutEntry[];
  readonly buffers: ReadonlyMap<string, number>;
}

function sizeOf(layout: OpLayout, buffer: string): number {
  const size = layout.buffers.get(buffer);
  if (size === undefined) throw new Error(`internal error: buffer '${buffer}' not in layout`);
  return size;
}

/** Applies `op` to the batch in `buffers` (name -> (batch, size) row-major), in place on its dst. */
export function applyOpReference(op: Op, layout: OpLayout, params: ArrayLike<number>, buffers: Map<string, Float64Array>, batch: number): void {
  const buffer = (name: string) => {
    const size = sizeOf(layout, name);
    let data = buffers.get(name);
    if (!data) buffers.set(name, (data = new Float64Array(batch * size)));
    return { size, data };
  };
  runOps([op], layout.params, params, buffer, batch);
}

/** ‖a − b‖_F / ‖b‖_F (0 when both are zero). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    num += (actual[i] - expected[i]) ** 2;
    den += expected[i] ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}
