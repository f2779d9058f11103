/**
 * The monc runtime for Node: everything in index.ts, with Dawn (npm `webgpu`) registered as the
 * WebGPU provider, and the CPU executor and the training half registered (cpu.ts, training.ts).
 */
import './node-device.js';
import './cpu.js';
import './training.js';

export * from './index.js';
export { dawnProvider, SWIFTSHADER_ICD } from './node-device.js';
