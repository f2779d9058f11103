/**
 * `monc train --out` over its own `--params` file: the file written is that file with the trained map's tensors in
 * place of its own, every other tensor of it (another layer of a state dict) copied as it was (name, dtype, shape,
 * bytes, place in the file's order) with the file's metadata (SPEC audit s24 S2: the map's tensors alone were written,
 * and the rest of a state dict was lost). The runtime's writeSafetensors writes F32 or F16 values it is given; this
 * copies bytes of any dtype, so it frames its header itself, as that writer does.
 */
import { readSafetensorsIndex, type SafetensorsEntry } from '../runtime/formats/safetensors.js';

/** `original` (a whole safetensors file) with each tensor that `trained` (another) holds replaced by `trained`'s. */
export function withTensorsReplaced(original: Uint8Array, trained: Uint8Array): Uint8Array {
  const from = readSafetensorsIndex(original, original.length);
  const replacements = readSafetensorsIndex(trained, trained.length);
  const replacing = new Map(replacements.entries.map((e) => [e.name, e]));
  const bytesOf = (file: Uint8Array, dataStart: number, e: SafetensorsEntry) => file.subarray(dataStart + e.begin, dataStart + e.end);
  const tensors = from.entries.map((e) => {
    const r = replacing.get(e.name);
    return r ? { entry: r, bytes: bytesOf(trained, replacements.dataStart, r) } : { entry: e, bytes: bytesOf(original, from.dataStart, e) };
  });
  // No prototype: a tensor named `__proto__` is an ordinary key (assigned into `{}` it set the prototype and was lost).
  const header: Record<string, unknown> = Object.create(null);
  if (Object.keys(from.metadata).length > 0) header.__metadata__ = from.metadata;
  let offset = 0;
  for (const { entry, bytes } of tensors) {
    header[entry.name] = { dtype: entry.dtype, shape: entry.shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Padded with spaces so that the data section starts 8-byte aligned, as writeSafetensors and the reference writer do.
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setUint32(0, padded, true);
  out.fill(0x20, 8, 8 + padded);
  out.set(json, 8);
  let at = 8 + padded;
  for (const { bytes } of tensors) {
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}
