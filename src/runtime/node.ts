/**
 * The monc runtime for Node: everything in index.ts, with Dawn (npm `webgpu`) registered as the
 * WebGPU provider, and the CPU executor, the training half, the host I/O (stagings, pipelined
 * forward, dense()) and the block-sparse support registered (cpu.ts, training.ts, host-io-entry.ts,
 * sparse.ts).
 */
import './node-device.js';
import './cpu.js';
import './training.js';
import './host-io-entry.js';
import './sparse.js';

export * from './index.js';
export { dawnProvider, SWIFTSHADER_ICD } from './node-device.js';
