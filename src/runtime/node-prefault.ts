/**
 * The process's result arrays made ahead (prefaulted-arrays.ts), on Node's worker threads
 * (node-device.ts's startWorker), installed into forward's result arrays (pipelined-forward.ts):
 * `monc/runtime/node` imports this file (node.ts).
 */
import { startWorker } from './node-device.js';
import { provideResultArrays } from './pipelined-forward.js';
import { PrefaultedArrays } from './prefaulted-arrays.js';

/** The process's arrays (its helper threads serve every runner). */
export const prefaultedArrays = new PrefaultedArrays(startWorker);

provideResultArrays((count) => prefaultedArrays.take(count));
