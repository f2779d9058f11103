/**
 * `monc/runtime/sparse`: importing it registers the block-sparse support with the runtime
 * (block-sparse.ts): decodeManifest of a manifest file with block-sparse maps, and the pattern
 * tables of their kernels on webgpu. The generated bindings of such a module register it
 * themselves; a page needs this import only to run block-sparse maps it did not import as a
 * generated module (a `.json` it reads, say). `monc/runtime/node` imports it.
 */
import { blockSparse } from './block-sparse.js';
import { registerBlockSparse } from './extensions.js';

registerBlockSparse(blockSparse);
