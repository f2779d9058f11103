/**
 * A runner's `dense()`: the map's matrix M through forward passes of the identity. Part of
 * `monc/runtime/host-io` (host-io-entry.ts registers it): many round trips of a batch built on
 * the host, which a page that only runs forward passes does not need.
 */
import { cpuExecutor, type RunnerHost } from './extensions.js';
import { arrayError } from './user-error.js';

/** Rows per forward pass when materialising the dense matrix (bounds the buffers' size). */
const DENSE_CHUNK_ELEMENTS = 1 << 22;

/**
 * M, shape (out, in), row-major: the map applied to the identity, minus its bias. Column j is
 * (f(s e_j) − f(0)) / s for a power of two s (exact scaling): a bias b far larger than M's
 * entries then costs them about ulp(b)/s in float32, not ulp(b); a chunk whose scaled pass
 * overflows runs again with a smaller s.
 *
 * Every pass reads the parameters the runner had at the call, as forward passes do (QA2 s12 R4:
 * a loadParams while the passes ran used to reach the later ones): on webgpu the passes hold the
 * device parameters of the call (holdParams copies them for them if they change), on the cpu
 * backend they take the packed parameters of the call.
 */
export async function denseMatrix(host: RunnerHost): Promise<Float32Array> {
  const { map, gpu, dtype } = host;
  const { in: n, out: m } = map;
  const packed = host.requireParams();
  const held = gpu?.heldParams();
  const program = gpu ? undefined : cpuExecutor!.program(map, dtype);
  // Each pass after the runner's checks (a destroyed runner rejects the next pass, on either backend).
  const pass = async (x: Float32Array, rows: number): Promise<Float32Array | Float64Array> => {
    host.checkUsable();
    return gpu ? gpu.run(x, rows, undefined, undefined, held) : cpuExecutor!.forward(program!, packed, x, rows);
  };
  try {
    const offset = await pass(new Float32Array(n), 1);
    const dense = new Float32Array(m * n);
    const rowsPerChunk = Math.max(1, Math.floor(DENSE_CHUNK_ELEMENTS / Math.max(n, m)));
    // An f16 module refuses inputs beyond 65504. Below 1: entries (with the bias) near the top of the range.
    const scales = dtype === 'f16' ? [256, 1, 2 ** -8] : [2 ** 32, 256, 1, 2 ** -8];
    for (let start = 0; start < n; start += rowsPerChunk) {
      // Each column takes the largest scale whose pass stays finite: one huge column costs the others no digits (QA2 s21
      // Q56: its smaller scale was taken for the whole chunk).
      let columns = Array.from({ length: Math.min(rowsPerChunk, n - start) }, (_, r) => start + r);
      for (const [k, scale] of scales.entries()) {
        const eye = new Float32Array(columns.length * n);
        columns.forEach((j, r) => (eye[r * n + j] = scale));
        const cols = await pass(eye, columns.length);
        // Row r of the result is f(s e_j): column j of M, times s, plus the bias; one that overflowed runs again, smaller.
        columns = columns.filter((j, r) => {
          const y = cols.subarray(r * m, (r + 1) * m);
          if (k < scales.length - 1 && !y.every(Number.isFinite)) return true;
          for (let i = 0; i < m; i++) dense[i * n + j] = (y[i] - offset[i]) / scale;
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
