/**
 * fitMse takes X and T in shared memory (a SharedArrayBuffer, a shared WebAssembly.Memory: what a program filling its
 * training data from worker threads hands over) as it takes plain arrays, on both backends. On WebGPU in Node, Dawn's
 * binding crashed the process (a segmentation fault, QA2 s22 Q156) on writeBuffer of such a view; forward and backward
 * copied theirs at the call already. Own file: before the fix this file's worker died, not one test.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/runtime/map-runner.js';
import { blockdiag, checkedMap } from '../ir/structures.js';
import { runnerFor } from './support.js';

const map = checkedMap('up', blockdiag(12, 6, 3));
const rows = 5;
const xs = Float32Array.from({ length: rows * 12 }, (_, i) => Math.sin(i));
const ts = Float32Array.from({ length: rows * 6 }, (_, i) => Math.cos(i));

/** `values` in a view of shared memory of the given kind. */
function sharedCopy(values: Float32Array, kind: 'sab' | 'wasm'): Float32Array {
  const buffer = kind === 'sab' ? new SharedArrayBuffer(values.byteLength) : new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer;
  const view = new Float32Array(buffer, 0, values.length);
  view.set(values);
  return view;
}

async function fitted(backend: Backend, x: Float32Array, target: Float32Array, batch?: number) {
  const runner = await runnerFor(map, backend, 'f32', undefined, true);
  try {
    runner.loadParams({ 'up.weight': Float32Array.from({ length: 24 }, (_, i) => (i % 5) / 10) });
    const result = await runner.fitMse(x, target, { steps: 3, batch, optimizer: { kind: 'adam', lr: 0.01 } });
    return { result, params: await runner.params() };
  } finally {
    runner.destroy();
  }
}

describe.each(['webgpu', 'cpu'] as const)('fitMse with X and T in shared memory on %s', (backend) => {
  it.each([['a SharedArrayBuffer', 'sab'], ['a shared WebAssembly.Memory', 'wasm']] as const)('%s: the same fit as plain arrays, whole and in mini-batches', async (_what, kind) => {
    for (const batch of [undefined, 2]) {
      const plain = await fitted(backend, xs, ts, batch);
      const shared = await fitted(backend, sharedCopy(xs, kind), sharedCopy(ts, kind), batch);
      expect(shared).toEqual(plain);
    }
  });
});
