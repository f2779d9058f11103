/** The monc runtime for Node: everything in index.ts, with Dawn (npm `webgpu`) registered as the WebGPU provider. */
import './node-device.js';

export * from './index.js';
export { dawnProvider, SWIFTSHADER_ICD } from './node-device.js';
