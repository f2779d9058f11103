/**
 * The runtime's block-sparse support: how decodeManifest resolves a manifest file's pattern
 * references (manifest-file.ts) and how a runner builds its kernels' pattern tables
 * (pattern-buffers.ts, src/manifest/pattern.ts). Nothing in the runtime imports it directly: it is
 * registered (extensions.ts) by `monc/runtime/sparse` (sparse.ts), or by the generated bindings
 * of a module with block-sparse maps, which pass it to decodeManifest. So a page whose modules
 * have none does not bundle it (test/package/runtime-bundle.test.ts).
 */
import { resolvePatternRefs } from '../manifest/manifest-file.js';
import type { BlockSparseSupport } from './extensions.js';
import { patternTables } from './pattern-buffers.js';

export type { BlockSparseSupport } from './extensions.js';

export const blockSparse: BlockSparseSupport = { resolveRefs: resolvePatternRefs, patternTables };
