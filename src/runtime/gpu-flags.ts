/**
 * The WebGPU flags the runtime uses, as the numbers the WebGPU specification fixes for
 * GPUBufferUsage, GPUMapMode and GPUShaderStage. Imported as a namespace (`import * as flags
 * from './gpu-flags.js'`), a minifier inlines each as its number, where `GPUBufferUsage.STORAGE`
 * stays whole in every page's bundle (the runtime's part of a page is kept small).
 */

/** GPUBufferUsage. */
export const MAP_READ = 0x1;
export const MAP_WRITE = 0x2;
export const COPY_SRC = 0x4;
export const COPY_DST = 0x8;
export const UNIFORM = 0x40;
export const STORAGE = 0x80;
export const QUERY_RESOLVE = 0x200;

/** GPUMapMode. */
export const MODE_READ = 0x1;
export const MODE_WRITE = 0x2;

/** GPUShaderStage. */
export const COMPUTE = 0x4;
