/**
 * The finiteness check of training data (an input X, a target, an output gradient): every value
 * must be finite once in float32, since a NaN or Inf would only come back as a NaN gradient or
 * loss far from its cause. Shared by `monc grad` / `monc train` (data read from .npy files) and
 * fitMse (data handed over in memory), which name the first bad value alike: by row and column.
 */

/**
 * What the first value of row-major `values` of `shape` (…, width) that float32 cannot hold as a
 * finite number is, and where: `holds NaN at row 1, column 5` (`element 3` for a vector, rows
 * counted over the leading dimensions); undefined when every value is finite. `rows`: the row of
 * the caller's data each row of `values` is (a mini-batch's rows); default: in order.
 */
export function nonFiniteValue(values: ArrayLike<number>, shape: readonly number[], rows?: ArrayLike<number>): string | undefined {
  const width = shape[shape.length - 1];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(Math.fround(v))) continue;
    const where = shape.length === 1 ? `element ${i}` : `row ${rows ? rows[Math.floor(i / width)] : Math.floor(i / width)}, column ${i % width}${shape.length > 2 ? ' (rows counted over the leading dimensions)' : ''}`;
    const value = Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? `${v} (beyond float32)` : String(v);
    return `holds ${value} at ${where}`;
  }
  return undefined;
}
