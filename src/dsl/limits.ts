/**
 * The limits of the language, each checked by the front end with a located diagnostic so that
 * no spec that checks can later exhaust memory, time, the stack or a GPU compiler. Every one is
 * stated in docs/language.md ("Limits").
 */
import { MAX_INT } from './codes.js';

/** Letters in a module, map or constant name: names reach file names (255 bytes) and identifiers. */
export const MAX_NAME_LENGTH = 128;

/** Maps declared in one module. */
export const MAX_MAPS = 4096;

/**
 * Nodes of a module's maps once references are expanded (constructor calls, sums, chains and
 * references, a reference counting its target's nodes again each time it is used): lowering
 * copies what a reference stands for, and the kernels are emitted from that copy.
 */
export const MAX_EXPANDED_NODES = 20000;

/**
 * Steps of a module once references are expanded: block matmuls (a Monarch of p factors is p of
 * them) and bias adds. Each is a kernel to emit (tens of kilobytes of WGSL) and dispatch.
 */
export const MAX_MODULE_STEPS = 1024;

/** Nesting of sums, chains and references in one map, counted through references. */
export const MAX_EXPANDED_DEPTH = 256;

/** Factors of `monarch(order:)` / `monarch(radices:)`; 30 factors of at least 2 already exceed the size limit. */
export const MAX_FACTORS = 30;

/** A map's parameters together (its packed parameter buffer, elements): kernels index it with 32-bit offsets. */
export const MAX_MAP_PARAMS = MAX_INT;

/**
 * Present blocks of one `sparse` pattern, and of a module's patterns together once references
 * are expanded (each use of a map counts its blocks again). Kernels read a pattern from a table
 * the runtime uploads (src/manifest/pattern.ts), so the WGSL does not grow with it; what grows
 * is the compiler's work and the manifest, which holds each block list once (about 11.5 bytes a
 * block, src/manifest/manifest-file.ts): at 2^22 blocks `monc build` takes 14-22 s and 2.2-2.9 GB
 * (a 48-52 MB manifest). The largest table at the limit, row starts for 2^24 block rows
 * (MAX_GRID_BLOCKS) and two words per block, is 96 MiB: within the 128 MiB a storage buffer
 * binding holds on every WebGPU adapter.
 */
export const MAX_SPARSE_BLOCKS = 2 ** 22;
