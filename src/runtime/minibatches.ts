/**
 * Which rows each training step of `fitMse` (and so `monc train`) uses: epochs of mini-batches of `batch` rows,
 * the rows reshuffled at the start of every epoch by mulberry32(seed), so a run is reproducible
 * from its seed. The last mini-batch of an epoch holds the rows left over (it may be smaller).
 */
import { mulberry32 } from '../util/random.js';

/** The rows of every step in turn; `undefined` when a step uses all rows in file order (batch >= rows). */
export function miniBatches(rows: number, batch: number, seed: number): () => Uint32Array | undefined {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
  if (batch >= rows) return () => undefined;
  const next = mulberry32(seed);
  const order = Uint32Array.from({ length: rows }, (_, i) => i);
  let at = rows;
  return () => {
    if (at >= rows) {
      shuffle(order, next);
      at = 0;
    }
    const picked = order.slice(at, Math.min(rows, at + batch));
    at += picked.length;
    return picked;
  };
}

/** Fisher–Yates: j drawn uniformly in [0, i] from one 32-bit draw. */
function shuffle(order: Uint32Array, next: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor((next() / 4294967296) * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

/** The rows `picked` of a row-major (rows, width) array. */
export function gatherRows(data: Float32Array, width: number, picked: Uint32Array): Float32Array {
  const out = new Float32Array(picked.length * width);
  picked.forEach((row, i) => out.set(data.subarray(row * width, (row + 1) * width), i * width));
  return out;
}
