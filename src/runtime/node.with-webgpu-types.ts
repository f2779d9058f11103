/// <reference types="@webgpu/types" preserve="true" />
/**
 * The declarations of `monc/runtime/node` for TypeScript before 6.0 (package.json: its `types` condition;
 * `types@>=6.0` takes ./node.js's own): TypeScript 5's lib.dom has no WebGPU types, so they come
 * from @webgpu/types, installed with monc. TypeScript 6 and later declare them in lib.dom, where
 * @webgpu/types would clash with them (duplicate identifiers), so there the entry goes without it.
 */
export * from './node.js';
