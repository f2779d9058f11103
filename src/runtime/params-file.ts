/**
 * Parameters given as the bytes of a safetensors file (`loadParams(bytes)`, on either runner):
 * the tensors of the file that the map uses, each checked against its shape, a tensor of the
 * right size but another shape (a transposed weight) would otherwise load silently. Only those
 * are decoded: the file's other tensors may be of any dtype (a state dict's I64 counters).
 * Missing tensors are left to packParams to report.
 */
import type { ParamLayoutEntry } from '../manifest/program.js';
import { decodeSafetensorsTensor, readSafetensorsIndex } from './formats/safetensors.js';
import { checkShape } from './params.js';
import { isPlainObject, mustBe } from './user-error.js';

/**
 * `params` as map `mapName`'s loadParams takes them: bytes (a Uint8Array, or `fetch`'s ArrayBuffer as it is) read as a
 * safetensors file for `layout`'s tensors, tensors by name (a Map or a plain object) as they are. Anything else is
 * refused by what it is (kind user): a Promise (readFile without await), a DataView, an Array or a Float32Array had no
 * tensors to find and said the map's first one was missing (QA2 s31 Q1051).
 */
export function tensorsOfParams<T>(mapName: string, params: T | Uint8Array | ArrayBuffer, layout: readonly ParamLayoutEntry[]): T | Map<string, ArrayLike<number>> {
  // A transferred (detached) buffer is the 0 bytes it holds, as a Uint8Array over one is (QA2 s23 Q257): a view of it throws.
  const bytes = params instanceof ArrayBuffer ? new Uint8Array(params.byteLength ? params : []) : params;
  if (!(bytes instanceof Uint8Array)) {
    if (bytes instanceof Map || isPlainObject(bytes)) return bytes;
    throw mustBe(mapName, 'parameters', 'tensors by name (an object or a Map) or safetensors bytes', bytes);
  }
  const index = readSafetensorsIndex(bytes, bytes.length);
  const tensors = new Map<string, ArrayLike<number>>();
  for (const { name, shape } of layout) {
    const t = index.entries.find((e) => e.name === name);
    if (!t) continue;
    checkShape(name, t.shape, shape);
    tensors.set(name, decodeSafetensorsTensor(t, bytes.subarray(index.dataStart + t.begin, index.dataStart + t.end)).data);
  }
  return tensors;
}
