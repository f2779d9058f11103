/**
 * The monc runtime for Node: everything in index.ts, with Dawn (npm `webgpu`) registered as the
 * WebGPU provider, and the CPU executor, the training half, the host I/O (stagings, pipelined
 * forward, dense()) and the block-sparse support registered (cpu.ts, training.ts, host-io-entry.ts,
 * sparse.ts), and forward(x)'s large result arrays made ahead by a helper thread (prefaulted-arrays.ts).
 */
import './node-device.js';
import './cpu.js';
import './training.js';
import './host-io-entry.js';
import './sparse.js';
import { provideResultArrays } from './pipelined-forward.js';
import { prefaultedArrays } from './prefaulted-arrays.js';

// forward(x)'s new result arrays of a MiB or more, their pages written ahead by a helper thread (prefaulted-arrays.ts).
provideResultArrays((count) => prefaultedArrays.take(count));

export * from './index.js';
export { dawnProvider, SWIFTSHADER_ICD } from './node-device.js';
