/**
 * The runtime's decodeManifest (manifest-file.ts has the format): the format check for every
 * module, and the block-sparse lists' resolution only where block-sparse support is registered
 * (extensions.ts), so that a page without block-sparse maps does not bundle it. The generated
 * bindings of a module with block-sparse maps pass `blockSparse`, which registers it.
 *
 * Two entries: `decodeManifest`, for a manifest a program reads from a file, checks every map
 * (check-manifest.ts) so a damaged file is one MoncError of kind `format`; `decodeModuleManifest`,
 * what the generated bindings call on the manifest monc embedded in them, does not, so a page
 * that runs them bundles no validator.
 */
import { checkManifestMaps, checkManifestNesting } from '../manifest/check-manifest.js';
import { decodeManifestWith, type PatternRefResolver } from '../manifest/manifest-file.js';
import type { Manifest } from '../manifest/types.js';
import { MoncError } from '../util/error.js';
import { typeName } from './user-error.js';
import { missingEntry, registerBlockSparse, blockSparseSupport, type BlockSparseSupport } from './extensions.js';

/**
 * The in-memory manifest of a manifest file's parsed JSON (docs/manifest.md), every map checked:
 * a malformed field or program is a MoncError of kind `format` naming it. `sparse`
 * (`blockSparse`) registers the block-sparse support first, as `import 'monc/runtime/sparse'`
 * does; without it, a manifest with block-sparse maps is refused (a MoncError of kind `user`
 * naming the import) unless that support is registered.
 */
export function decodeManifest(value: unknown, sparse?: BlockSparseSupport): Manifest {
  // The file's bytes, its text or a Map said "the manifest of module 'undefined' has no list of maps" (QA2 s26 Q557).
  const given = typeName(value);
  if (given !== 'object') throw new MoncError('format', `decodeManifest takes a manifest file's parsed JSON object (decodeManifest(JSON.parse(text))), got ${given}`);
  // A file with `format` (2) was written after block-sparse kernels read pattern tables: each of them names its table.
  const tables = (value as { format?: unknown } | null)?.format !== undefined;
  return checkManifestMaps(decodeModuleManifest(checkManifestNesting(value), sparse), tables);
}

/** decodeManifest without the check of its maps: for the manifest a module's generated bindings embed (monc wrote it). */
export function decodeModuleManifest(value: unknown, sparse?: BlockSparseSupport): Manifest {
  if (sparse) registerBlockSparse(sparse);
  return decodeManifestWith(value, blockSparseSupport?.resolveRefs ?? withoutPatterns);
}

/** A file without block-sparse maps (an empty `patterns` table) has no reference to resolve. */
const withoutPatterns: PatternRefResolver = (maps, patterns, what) => {
  if (patterns.length > 0) throw missingEntry(`decoding the block-sparse maps of ${what}`, 'sparse');
  return maps;
};
