/**
 * Draws a matrix as an image: one pixel per entry (entries pooled by their mean magnitude when
 * the matrix is larger than `maxSide`: the largest would paint every pooled pixel dark), white
 * where the structure has no entry, and a colour ramp from light (small) to dark (large) by
 * magnitude elsewhere.
 */

/** Calls `emit(row, col, value)` for every entry the structure has (zeros included). */
export type EntrySource = (emit: (row: number, col: number, value: number) => void) => void;

/** Light yellow to dark purple (viridis, reversed): a small magnitude stays visible against white. */
const RAMP: readonly (readonly [number, number, number])[] = [
  [253, 231, 37],
  [94, 201, 98],
  [33, 145, 140],
  [59, 82, 139],
  [68, 1, 84],
];

function rampColor(t: number): readonly [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [RAMP[i], RAMP[i + 1]];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

export interface DrawnMatrix {
  /** Entries per pixel side (1 when drawn at full resolution). */
  readonly pool: number;
  /** How many entries the structure has. */
  readonly entries: number;
  readonly maxMagnitude: number;
}

export function drawMatrix(canvas: HTMLCanvasElement, rows: number, cols: number, source: EntrySource, maxSide = 512): DrawnMatrix {
  const pool = Math.max(1, Math.ceil(Math.max(rows, cols) / maxSide));
  const width = Math.ceil(cols / pool);
  const height = Math.ceil(rows / pool);
  const sum = new Float64Array(width * height);
  const count = new Uint32Array(width * height);
  let entries = 0;
  let maxMagnitude = 0;
  source((row, col, value) => {
    const cell = Math.floor(row / pool) * width + Math.floor(col / pool);
    const m = Math.abs(value);
    sum[cell] += m;
    count[cell]++;
    if (m > maxMagnitude) maxMagnitude = m;
    entries++;
  });
  const mean = sum.map((s, cell) => (count[cell] > 0 ? s / count[cell] : 0));
  const scale = mean.reduce((a, b) => Math.max(a, b), 0);
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(width, height);
  for (let cell = 0; cell < width * height; cell++) {
    // The square root spreads the small magnitudes, which dominate trained and random weights alike.
    const [r, g, b] = count[cell] > 0 ? rampColor(scale > 0 ? Math.sqrt(mean[cell] / scale) : 0) : [255, 255, 255];
    image.data.set([r, g, b, 255], cell * 4);
  }
  context.putImageData(image, 0, 0);
  return { pool, entries, maxMagnitude };
}
