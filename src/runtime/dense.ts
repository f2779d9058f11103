/**
 * A runner's `dense()`: the map's matrix M through forward passes of the identity. Part of
 * `monc/runtime/host-io` (host-io-entry.ts registers it): many round trips of a batch built on
 * the host, which a page that only runs forward passes does not need.
 */
import type { ManifestMap } from '../manifest/types.js';
import { copyOf } from './buffer.js';
import { cpuExecutor, type RunnerHost } from './extensions.js';
import * as flags from './gpu-flags.js';
import type { GpuExecutor, HeldParams } from './gpu-executor.js';
import { arrayError } from './user-error.js';

/** Rows per forward pass when materialising the dense matrix (bounds the buffers' size). */
const DENSE_CHUNK_ELEMENTS = 1 << 22;

/**
 * M, shape (out, in), row-major: the map applied to the identity with its biases zeroed (a copy of the parameters),
 * so that nothing is subtracted: a bias far larger than M's entries costs them no digits, and one at the top of the
 * storage's range cannot overflow a column's pass (QA3 s21 Q71: beside a bias of 3.4e38, entries of 1e34 came back
 * Infinity; in an f16 module on f32 storage, entries of 1e-4 beside a bias of 6e4 were 7% off). Column j is f(s e_j) / s
 * for a power of two s (exact scaling): the largest scale keeps small entries out of the subnormals (float32's, or
 * f16's below 6e-5 where the device stores f16), and a chunk's column whose pass overflows (an entry, or a chain's
 * intermediate, beyond the range at that scale) runs again with a smaller s.
 *
 * Every pass reads the parameters the runner had at the call, as forward passes do (QA2 s12 R4:
 * a loadParams while the passes ran used to reach the later ones): on webgpu a copy of the device
 * parameters submitted at the call, on the cpu backend a copy of the packed parameters of the call.
 */
export async function denseMatrix(host: RunnerHost): Promise<Float32Array> {
  const { map, gpu, dtype } = host;
  const { in: n, out: m } = map;
  const packed = host.requireParams();
  const biases = biasElements(map);
  const held = gpu && withoutBiases(gpu, biases);
  const params = gpu ? undefined : biases.reduce((copy, [start, end]) => copy.fill(0, start, end), packed.slice());
  const program = gpu ? undefined : cpuExecutor!.program(map, dtype);
  // Each pass after the runner's checks (a destroyed runner rejects the next pass, on either backend).
  const pass = async (x: Float32Array, rows: number): Promise<Float32Array | Float64Array> => {
    host.checkUsable();
    return gpu ? gpu.run(x, rows, undefined, undefined, held) : cpuExecutor!.forward(program!, params!, x, rows);
  };
  try {
    const dense = new Float32Array(m * n);
    const rowsPerChunk = Math.max(1, Math.floor(DENSE_CHUNK_ELEMENTS / Math.max(n, m)));
    // An f16 module refuses inputs beyond 65504.
    const scales = dtype === 'f16' ? [256, 1, 2 ** -8] : [2 ** 32, 256, 1, 2 ** -8];
    for (let start = 0; start < n; start += rowsPerChunk) {
      // Each column takes the largest scale whose pass stays finite: one huge column costs the others no digits (QA2 s21
      // Q56: its smaller scale was taken for the whole chunk).
      let columns = Array.from({ length: Math.min(rowsPerChunk, n - start) }, (_, r) => start + r);
      for (const [k, scale] of scales.entries()) {
        const eye = new Float32Array(columns.length * n);
        columns.forEach((j, r) => (eye[r * n + j] = scale));
        const cols = await pass(eye, columns.length);
        // Row r of the result is f(s e_j): column j of M, times s; one that overflowed runs again, smaller.
        columns = columns.filter((j, r) => {
          const y = cols.subarray(r * m, (r + 1) * m);
          if (k < scales.length - 1 && !y.every(Number.isFinite)) return true;
          for (let i = 0; i < m; i++) dense[i * n + j] = y[i] / scale;
          return false;
        });
        if (columns.length === 0) break;
      }
    }
    return dense;
  } catch (e) {
    // The host refusing an array of the call (the matrix, a chunk of the identity: a RangeError) is kind 'device', as a
    // forward's result is; the runner's next call runs as before (its passes' buffers are the forward's).
    throw arrayError(map.name, 'dense', e, []);
  } finally {
    if (held) gpu!.releaseParams(held);
  }
}

/** The packed elements [start, end) of the map's bias tensors (what its ops add as a bias), each tensor once. */
function biasElements(map: ManifestMap): Array<[number, number]> {
  const names = new Set(map.ops.flatMap((op) => (op.kind === 'bias' ? [op.param.tensor] : op.bias ? [op.bias.tensor] : [])));
  return map.params.filter((p) => names.has(p.name)).map((p) => [p.offset, p.offset + p.shape.reduce((a, b) => a * b, 1)]);
}

/**
 * The runs' parameters (a HeldParams of one wait, which dense() releases after its last pass; each run() counts itself
 * on it too): a copy of the device's, submitted now,
 * with the bias elements cleared. clearBuffer takes whole 4-byte words: an f16 bias of an odd length clears the
 * element after it too, padding before the next tensor (tensors start at multiples of 8 elements) or the buffer's end
 * (whole 16 bytes).
 */
function withoutBiases(gpu: GpuExecutor, biases: ReadonlyArray<[number, number]>): HeldParams {
  const { device, paramsBuffer } = gpu;
  const bytes = gpu.storage === 'f16' ? 2 : 4;
  const copy = copyOf(device, paramsBuffer, 'params (dense)', paramsBuffer.size, flags.STORAGE);
  const encoder = device.createCommandEncoder();
  for (const [start, end] of biases) encoder.clearBuffer(copy, start * bytes, Math.ceil(((end - start) * bytes) / 4) * 4);
  device.queue.submit([encoder.finish()]);
  return { waiting: 1, copy };
}
