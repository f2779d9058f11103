/**
 * safetensors files of tensors of any dtype, as PyTorch writes state dicts (F32 weights beside
 * I64 counters and BOOL masks): monc's writer emits F32 and F16 only.
 */

export interface RawTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** The tensor's bytes as stored (little-endian). */
  readonly bytes: Uint8Array;
}

/** An F32 tensor of `values`. */
export function f32Tensor(name: string, shape: readonly number[], values: ArrayLike<number>): RawTensor {
  return { name, dtype: 'F32', shape, bytes: new Uint8Array(Float32Array.from(values).buffer) };
}

/** The file holding `tensors`, their data back to back in the given order. */
export function rawSafetensors(tensors: readonly RawTensor[]): Uint8Array {
  let offset = 0;
  // No prototype: a tensor named `__proto__` is an ordinary key.
  const header: Record<string, unknown> = Object.create(null);
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    out.set(t.bytes, at);
    at += t.bytes.length;
  }
  return out;
}
