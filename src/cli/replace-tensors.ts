/**
 * `monc train --out` over its own `--params` file: the file written is that file with the trained map's tensors in
 * place of its own, every other tensor of it (another layer of a state dict) copied as it was (name, dtype, shape,
 * bytes, place in the file's order) with the file's metadata (SPEC audit s24 S2: the map's tensors alone were written,
 * and the rest of a state dict was lost). The runtime's writeSafetensors writes F32 or F16 values it is given; this
 * copies bytes of any dtype, so it frames its header itself, as that writer does. The other tensors are not read here:
 * they are ranges of the original file that the write copies (a state dict over the 2 GiB monc reads at once, or over
 * memory, trains in place too).
 */
import { readSafetensorsIndex, type SafetensorsIndex } from '../runtime/formats/safetensors.js';
import type { FileRange, SourceFile } from './files.js';

/** The file read by its header (`readSafetensorsHeader`): its index and the file as it was. */
export interface IndexedFile {
  readonly index: SafetensorsIndex;
  readonly source: SourceFile;
}

/**
 * What to write for `original` with each tensor that `trained` (a whole safetensors file) holds replaced by `trained`'s:
 * the header and the replacing tensors' bytes, the others' as ranges of the original (adjacent ones as one range).
 */
export function withTensorsReplaced(original: IndexedFile, trained: Uint8Array): (Uint8Array | FileRange)[] {
  const from = original.index;
  const replacements = readSafetensorsIndex(trained, trained.length);
  const replacing = new Map(replacements.entries.map((e) => [e.name, e]));
  // No prototype: a tensor named `__proto__` is an ordinary key (assigned into `{}` it set the prototype and was lost).
  const header: Record<string, unknown> = Object.create(null);
  if (Object.keys(from.metadata).length > 0) header.__metadata__ = from.metadata;
  const data: (Uint8Array | FileRange)[] = [];
  let offset = 0;
  for (const e of from.entries) {
    const r = replacing.get(e.name);
    const entry = r ?? e;
    const length = entry.end - entry.begin;
    header[e.name] = { dtype: entry.dtype, shape: entry.shape, data_offsets: [offset, offset + length] };
    offset += length;
    const last = data[data.length - 1];
    if (r) data.push(trained.subarray(replacements.dataStart + r.begin, replacements.dataStart + r.end));
    else if (last && !(last instanceof Uint8Array) && last.offset + last.length === from.dataStart + e.begin) data[data.length - 1] = { ...last, length: last.length + length };
    else data.push({ source: original.source, offset: from.dataStart + e.begin, length });
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Padded with spaces so that the data section starts 8-byte aligned, as writeSafetensors and the reference writer do.
  const framed = new Uint8Array(8 + Math.ceil(json.length / 8) * 8);
  new DataView(framed.buffer).setUint32(0, framed.length - 8, true);
  framed.fill(0x20, 8);
  framed.set(json, 8);
  return [framed, ...data];
}
