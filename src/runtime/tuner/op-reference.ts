/**
 * Float64 semantics of the scheduled ops (ir.ts), for checking a kernel in isolation: the tuner
 * runs every candidate on random data and compares with this before it times anything.
 * Bias follows the emitters' convention: read at the same in-row position as the value written.
 */
import type { Op, ParamLayoutEntry, ParamSlice } from '../../ir/ir.js';
import { indexMapTable } from '../../ir/index-map.js';

export interface OpLayout {
  readonly params: readonly ParamLayoutEntry[];
  readonly buffers: ReadonlyMap<string, number>;
}

function offsetOf(layout: OpLayout, slice: ParamSlice): number {
  const entry = layout.params.find((p) => p.name === slice.tensor);
  if (!entry) throw new Error(`internal error: parameter '${slice.tensor}' not in layout`);
  return entry.offset + slice.offset;
}

function sizeOf(layout: OpLayout, buffer: string): number {
  const size = layout.buffers.get(buffer);
  if (size === undefined) throw new Error(`internal error: buffer '${buffer}' not in layout`);
  return size;
}

/** Applies `op` to the batch in `buffers` (name -> (batch, size) row-major), in place on its dst. */
export function applyOpReference(op: Op, layout: OpLayout, params: ArrayLike<number>, buffers: Map<string, Float64Array>, batch: number): void {
  const dstSize = sizeOf(layout, op.dst);
  const dst = buffers.get(op.dst) ?? new Float64Array(batch * dstSize);
  buffers.set(op.dst, dst);
  const outMap = indexMapTable(op.output);
  const bias = op.kind === 'bias' ? offsetOf(layout, op.param) : op.bias ? offsetOf(layout, op.bias) : undefined;
  const values = new Float64Array(op.kind === 'bias' ? op.size : outMap.length);
  for (let row = 0; row < batch; row++) {
    values.fill(0);
    if (op.kind === 'ks') {
      const src = buffers.get(op.src)!;
      const inSize = sizeOf(layout, op.src);
      const inMap = indexMapTable(op.input);
      const w = offsetOf(layout, op.weight);
      for (let al = 0; al < op.a; al++)
        for (let be = 0; be < op.b; be++)
          for (let de = 0; de < op.d; de++) {
            let acc = 0;
            const wBase = w + ((al * op.d + de) * op.b + be) * op.c;
            for (let ga = 0; ga < op.c; ga++) acc += params[wBase + ga] * src[row * inSize + inMap[al * op.c * op.d + ga * op.d + de]];
            values[al * op.b * op.d + be * op.d + de] = acc;
          }
    } else if (op.kind === 'bsr') {
      const src = buffers.get(op.src)!;
      const inSize = sizeOf(layout, op.src);
      const inMap = indexMapTable(op.input);
      const w = offsetOf(layout, op.weight);
      op.blocks.forEach(([bi, bj], z) => {
        for (let i = 0; i < op.bh; i++)
          for (let j = 0; j < op.bw; j++) values[bi * op.bh + i] += params[w + (z * op.bh + i) * op.bw + j] * src[row * inSize + inMap[bj * op.bw + j]];
      });
    }
    for (let i = 0; i < values.length; i++) {
      const at = outMap[i];
      const v = values[i] + (bias !== undefined ? params[bias + at] : 0);
      dst[row * dstSize + at] = op.accumulate ? dst[row * dstSize + at] + v : v;
    }
  }
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
