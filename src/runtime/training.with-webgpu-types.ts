/// <reference types="@webgpu/types" preserve="true" />
/**
 * The declarations of `monc/runtime/training` for TypeScript before 6.0 (package.json: its `types`
 * condition; `types@>=6.0` takes ./training.js's own), as index.with-webgpu-types.ts does for
 * `monc/runtime`: a program whose only monc import is this entry still gets the WebGPU types its
 * declarations use (GPUDevice, GPUCommandEncoder…), from @webgpu/types.
 */
export * from './training.js';
