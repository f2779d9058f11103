/**
 * How many rows a map's buffers may hold on a device: every buffer a kernel binds (x, y, the
 * intermediates: rows × width values; a backward pass's weight-gradient partials: one row of f32
 * per `rowsPerSplit` rows) must fit the device's maxStorageBufferBindingSize and maxBufferSize.
 * A batch past this is not a slow run but an invalid one (WebGPU refuses the buffers, and every
 * dispatch that binds them does nothing): callers refuse it up front, naming the limit.
 */

/** The two device limits one bound buffer must fit. */
export interface BufferLimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
}

/** The most bytes one bound buffer may have. */
export function bindingBytes(limits: BufferLimits): number {
  return Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
}

/**
 * The most rows for which a buffer of rows × `width` values of `elementBytes` each, for the widest
 * of `widths`, fits one binding: its bytes rounded up to 16 (buffers are whole 16-byte vec4s), so
 * at most the limit rounded down to 16 (once per buffer, not per row: QA s20 Q90).
 */
export function rowsThatFit(widths: readonly number[], elementBytes: number, limits: BufferLimits): number {
  const bytes = bindingBytes(limits);
  return Math.floor((bytes - (bytes % 16)) / (Math.max(1, ...widths) * elementBytes));
}

/** The most rows a batch may have, and the bytes of one buffer that decide it. */
export interface RowsLimit {
  readonly rows: number;
  readonly bytes: number;
}

/** The limit for buffers of rows of `widths` (values of `elementBytes`) and, for a backward pass, f32 partials of `partials.widths`, one per `rowsPerSplit` rows. */
export function rowsLimit(widths: readonly number[], elementBytes: number, limits: BufferLimits, partials?: { readonly widths: readonly number[]; readonly rowsPerSplit: number }): RowsLimit {
  const rows = rowsThatFit(widths, elementBytes, limits);
  const partialRows = partials && partials.widths.length > 0 ? rowsThatFit(partials.widths, 4, limits) * partials.rowsPerSplit : Infinity;
  return { rows: Math.min(rows, partialRows), bytes: bindingBytes(limits) };
}

/** One line for a batch over `limit` ("map 'up' at batch 20,000,000 needs …"), or undefined when it fits. */
export function batchOverLimit(what: string, batch: number, limit: RowsLimit): string | undefined {
  if (batch <= limit.rows) return undefined;
  const n = (x: number) => x.toLocaleString('en-US');
  return `${what} at batch ${n(batch)} needs a buffer over this adapter's limit of ${n(limit.bytes)} bytes for one buffer (maxStorageBufferBindingSize, maxBufferSize): at most ${n(limit.rows)} rows fit`;
}

/** The rows a forward pass of a map (its in, out and intermediate buffers, in `storage`) may take. */
export function forwardRowsLimit(map: { readonly in: number; readonly out: number; readonly buffers: readonly { readonly size: number }[] }, storage: 'f32' | 'f16', limits: BufferLimits): RowsLimit {
  return rowsLimit([map.in, map.out, ...map.buffers.map((b) => b.size)], storage === 'f16' ? 2 : 4, limits);
}

/** The rows a backward pass may take: its row buffers in `storage`, and its f32 partials. */
export function backwardRowsLimitOf(
  program: { readonly in: number; readonly out: number; readonly buffers: readonly { readonly size: number }[]; readonly partials: readonly { readonly size: number }[]; readonly rowsPerSplit: number },
  storage: 'f32' | 'f16',
  limits: BufferLimits,
): RowsLimit {
  const partials = { widths: program.partials.map((p) => p.size), rowsPerSplit: program.rowsPerSplit };
  return rowsLimit([program.in, program.out, ...program.buffers.map((b) => b.size)], storage === 'f16' ? 2 : 4, limits, partials);
}
