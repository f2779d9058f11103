/**
 * The compiler's half of the manifest file format (manifest-file.ts): the file form of an
 * in-memory manifest, each distinct block list once in `patterns`. Kept apart from the decoder so
 * that a page's runtime bundle does not carry it.
 */
import type { Manifest } from './types.js';
import { MANIFEST_FORMAT, replaceBlocks, type BlockList, type ManifestFile, type PatternRef } from './manifest-file.js';

const encoded = new WeakMap<Manifest, ManifestFile>();

/** The file form of `manifest` (the same object for the same manifest: the `.json` and the bindings share one). */
export function encodeManifest(manifest: Manifest): ManifestFile {
  let file = encoded.get(manifest);
  if (!file) {
    const table = new PatternTable();
    const { monc, maps, ...rest } = manifest;
    const encodedMaps = maps.map((map) => replaceBlocks(map, (blocks) => (Array.isArray(blocks) ? table.ref(blocks as BlockList) : blocks)));
    file = { monc, format: MANIFEST_FORMAT, ...rest, maps: encodedMaps, patterns: table.lists };
    encoded.set(manifest, file);
  }
  return file;
}

/** Each distinct list once; a list that is another's transpose refers to that one. */
class PatternTable {
  readonly lists: number[][] = [];
  private readonly byContent = new Map<string, PatternRef>();
  private readonly byIdentity = new Map<BlockList, PatternRef>();

  ref(blocks: BlockList): PatternRef {
    const known = this.byIdentity.get(blocks);
    if (known) return known;
    const flat = flatten(blocks, false);
    const key = flat.join(',');
    let ref = this.byContent.get(key);
    if (!ref) {
      ref = { pattern: this.lists.length };
      this.lists.push(flat);
      this.byContent.set(key, ref);
      const transposedKey = flatten(blocks, true).join(',');
      if (!this.byContent.has(transposedKey)) this.byContent.set(transposedKey, { pattern: ref.pattern, transposed: true });
    }
    this.byIdentity.set(blocks, ref);
    return ref;
  }
}

function flatten(blocks: BlockList, transposed: boolean): number[] {
  const flat = new Array<number>(2 * blocks.length);
  blocks.forEach(([i, j], z) => {
    flat[2 * z] = transposed ? j : i;
    flat[2 * z + 1] = transposed ? i : j;
  });
  return flat;
}
