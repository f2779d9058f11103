/**
 * The monc runtime for Node: everything in index.ts, with Dawn (npm `webgpu`) registered as the
 * WebGPU provider, and the CPU executor, the training half, the host I/O (stagings, pipelined
 * forward, dense()) and the block-sparse support registered (cpu.ts, training.ts, host-io-entry.ts,
 * sparse.ts), and forward(x)'s large result arrays made ahead by helper threads (node-prefault.ts).
 */
import './node-device.js';
import './cpu.js';
import './training.js';
import './host-io-entry.js';
import './sparse.js';
// forward(x)'s new result arrays of 1 to 64 MiB, their pages written ahead by helper threads (prefaulted-arrays.ts).
import './node-prefault.js';

export * from './index.js';
export { dawnProvider, SWIFTSHADER_ICD } from './node-device.js';
