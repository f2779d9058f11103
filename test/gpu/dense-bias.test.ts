/**
 * runner.dense() keeps M's digits beside a bias far larger than them (review finding R9) or at the top of the storage's
 * range (QA3 s21 Q71): M is read off forward passes of scaled unit vectors with the map's biases zeroed, so nothing is
 * cancelled against a bias and no bias overflows a pass. Checked on webgpu and the CPU backend against the float64
 * reference, entry by entry, including a bias inside a chain and an f16 module.
 */
import { describe, expect, it } from 'vitest';
import '../../src/runtime/cpu.js';
import type { Dtype } from '../../src/manifest/program.js';
import { MapRunner, type Backend } from '../../src/runtime/map-runner.js';
import { denseMatrix } from '../../src/runtime/dense.js';
import type { RunnerHost } from '../../src/runtime/extensions.js';
import { GpuExecutor } from '../../src/runtime/gpu-executor.js';
import { f16BitsToF32, f32ToF16Bits } from '../../src/runtime/formats/f16.js';
import type { CheckedMap } from '../../src/dsl/structure.js';
import { emulateSubgroupMatrix } from '../support/sgmat-emulation.js';
import { bias, chain, checkedMap, dense, monarch, randomParams, rng, sum } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { referenceApply, referenceDense } from '../support/reference.js';
import { compileModuleForTest } from '../training/compile.js';

/** The largest |got − want| over the entries, relative to that entry's |want| (entries of want are non-zero). */
function worstEntryError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.abs(want[i]));
  return worst;
}

/** The largest |got − want| over the entries, relative to the largest |want|. */
function worstScaledError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return worst / scale;
}

async function runnerFor(backend: Backend, checked: ReturnType<typeof checkedMap>, tensors: ReadonlyMap<string, Float64Array>, dtype: Dtype = 'f32'): Promise<MapRunner> {
  const { manifest, wgsl } = compileModuleForTest(checked, dtype);
  const runner = await MapRunner.create(manifest.maps[0], wgsl, { backend, dtype, ...(backend === 'webgpu' ? { device: await getTestDevice() } : {}) });
  runner.loadParams(Object.fromEntries([...tensors].map(([k, v]) => [k, Float32Array.from(v)])));
  return runner;
}

it.each(['webgpu', 'cpu'] as const)('%s: dense 4 -> 4 with weights (i+1)e-4 and a bias of 1e4 gives the weights to 1e-6', async (backend: Backend) => {
  const checked = checkedMap('a', sum(dense(4, 4), bias(4)));
  const tensors = new Map<string, Float64Array>();
  for (const [name, v] of randomParams(checked.structure, rng(1))) {
    tensors.set(name, name.endsWith('bias') || v.length === 4 ? v.map(() => 1e4) : v.map((_, i) => (i + 1) * 1e-4));
  }
  const runner = await runnerFor(backend, checked, tensors);
  try {
    const want = referenceDense(checked.structure, tensors);
    expect(Math.min(...want.map(Math.abs))).toBeGreaterThan(0);
    expect(worstEntryError(await runner.dense(), want)).toBeLessThan(1e-6);
  } finally {
    runner.destroy();
  }
});

it.each(['webgpu', 'cpu'] as const)('%s: a chain 24 -> 10 with a bias of 3e3 inside and at the end matches the float64 M to 1e-6 of its largest entry', async (backend: Backend) => {
  const checked = checkedMap('b', chain(sum(dense(20, 10), bias(10)), sum(monarch(24, 20, 4), bias(20))));
  const tensors = new Map([...randomParams(checked.structure, rng(7))].map(([name, v]) => [name, name.endsWith('bias') ? v.map((x) => 3e3 + x) : v]));
  const runner = await runnerFor(backend, checked, tensors);
  try {
    expect(worstScaledError(await runner.dense(), referenceDense(checked.structure, tensors))).toBeLessThan(1e-6);
  } finally {
    runner.destroy();
  }
});

it.each(['webgpu', 'cpu'] as const)('%s: weights near 1e30 (the largest scale overflows float32) still give M to 1e-6', async (backend: Backend) => {
  const checked = checkedMap('c', sum(dense(5, 3), bias(3)));
  const tensors = new Map([...randomParams(checked.structure, rng(11))].map(([name, v]) => [name, v.map((x) => (name.endsWith('bias') ? 1e25 : 1e30) * (1.5 + x))]));
  const runner = await runnerFor(backend, checked, tensors);
  try {
    expect(worstEntryError(await runner.dense(), referenceDense(checked.structure, tensors))).toBeLessThan(1e-6);
  } finally {
    runner.destroy();
  }
});

// QA2 s21 Q56: the scale was chosen for all columns at once (one entry of 1e30 cost every column its digits beside a bias of
// 1e4), and never below 1 (an entry of 1e38 beside a bias of 3e38 came back Infinity).
it.each(['webgpu', 'cpu'] as const)('%s: a column with an entry near the top of float32 costs the others no digits beside a bias', async (backend: Backend) => {
  const checked = checkedMap('d', sum(dense(4, 3), bias(3)));
  const weights = Float64Array.from([0, 1e-4, 1e-4, 2, 0.5, 1.2345678e-4, -1, 1, 1e-4, 3, 0.25, -1]);
  for (const [big, b] of [[1e30, 1e4], [1e38, 3e38]] as const) {
    weights[0] = big;
    const tensors = new Map([['d.0.weight', Float64Array.from(weights, (v) => Math.fround(v))], ['d.1.bias', new Float64Array(3).fill(b)]]);
    const runner = await runnerFor(backend, checked, tensors);
    try {
      const got = await runner.dense();
      const want = referenceDense(checked.structure, tensors);
      expect(Math.abs(got[0] - want[0]) / want[0], `${big}`).toBeLessThan(1e-4);
      // The columns without the large entry, at the largest scale: to 1e-6 beside the bias of 1e4.
      if (b === 1e4) for (const j of [1, 2, 3]) for (let i = 0; i < 3; i++) expect(Math.abs(got[i * 4 + j] - want[i * 4 + j]) / Math.abs(want[i * 4 + j]), `(${i}, ${j})`).toBeLessThan(1e-6);
    } finally {
      runner.destroy();
    }
  }
});

// QA3 s21 Q71: s·W + b overflowed float32 at every scale down to 2^-8 beside a bias of float32's largest value (any entry
// above about 2.5e33), and such a column came back Infinity on webgpu. The passes now run with the biases zeroed.
it.each(['webgpu', 'cpu'] as const)("%s: entries of 1e34 beside a bias of ±3.4028235e38 (float32's largest) come back to 1e-6", async (backend: Backend) => {
  const checked = checkedMap('q', sum(dense(4, 3), bias(3)));
  const largest = 3.4028234663852886e38;
  const tensors = new Map([
    ['q.0.weight', Float64Array.from({ length: 12 }, (_, i) => Math.fround((i % 2 ? -1e34 : 1e34) * (1 + i / 16)))],
    ['q.1.bias', Float64Array.from([largest, -largest, 1])],
  ]);
  const runner = await runnerFor(backend, checked, tensors);
  try {
    expect(worstEntryError(await runner.dense(), referenceDense(checked.structure, tensors))).toBeLessThan(1e-6);
  } finally {
    runner.destroy();
  }
});

// An f16 module's scales start at 256 (its inputs must lie within ±65504), where f32's start at 2^32: entries of 1e-4
// beside a bias of 6e4 were 7% off on f32 storage (ulp(6e4)/256 in float32), an entry of 6e4 beside it overflowed f16
// storage at scales 256 and 1. Tolerance: 1e-6 where the device stores f32 (SwiftShader) and on the cpu backend; 1e-3
// where it stores f16 (11 significant bits: the parameters and each pass's outputs are rounded to f16).
it.each(['webgpu', 'cpu'] as const)('%s: in an f16 module, entries of 6e4 and 1e-4 beside a bias of 6e4 come back to the storage precision', async (backend: Backend) => {
  const checked = checkedMap('h', sum(dense(4, 3), bias(3)));
  const tensors = new Map([
    ['h.0.weight', Float64Array.from([6e4, 1e-4, -1e-4, 2, 0.5, 1.2345678e-4, -1, 1, 1e-4, 3e4, 0.25, -1], (v) => Math.fround(v))],
    ['h.1.bias', Float64Array.from([6e4, -6e4, 6e4])],
  ]);
  const runner = await runnerFor(backend, checked, tensors, 'f16');
  try {
    const tolerance = runner.kernelSet?.storage === 'f16' ? 1e-3 : 1e-6;
    expect(worstEntryError(await runner.dense(), referenceDense(checked.structure, tensors))).toBeLessThan(tolerance);
  } finally {
    runner.destroy();
  }
});

// s26 OPEN-c: the f16-storage path (a device with shader-f16) never ran here, SwiftShader lacking the feature: the
// runner takes the f32-storage set, and the test above checks 1e-6. Here the module's own f16 kernels run on an
// f16-storage executor, their f16 arrays kept as halves two per u32 word (sgmat-emulation's packStorageF16: the
// same index arithmetic, f32 arithmetic where the kernels convert each half to f32 anyway), so dense() copies and
// clears the runtime's f16 parameter buffer (2-byte elements: the odd-length biases clear the padding half after them,
// inside the buffer and at its end), and its scale ladder meets f16 overflow (an entry of 6e4 is ∞ at 256 and at 1).
// Tolerance: the entries' f16 rounding (the parameters, each pass's intermediate and output), 2^-10 relative.
describe('dense() on f16 storage (its kernels emulated without shader-f16)', () => {
  it.each<[string, CheckedMap, (name: string, v: Float64Array) => Float64Array]>([
    ['entries of 6e4 and 1e-4 beside a bias of ±6e4 (odd length, the buffer ends with it)', checkedMap('h', sum(dense(4, 3), bias(3))), (name) =>
      name.endsWith('bias') ? Float64Array.from([6e4, -6e4, 6e4]) : Float64Array.from([6e4, 1e-4, -1e-4, 2, 0.5, 1.2345678e-4, -1, 1, 1e-4, 3e4, 0.25, -1])],
    ['a chain 6 -> 3 with a bias of 5 (odd, tensors after it) inside and one of 3 at the end, all 2e4', checkedMap('k', chain(sum(dense(5, 3), bias(3)), sum(dense(6, 5), bias(5)))), (name, v) =>
      name.endsWith('bias') ? v.map(() => 2e4) : v.map((x, i) => (i % 3 === 0 ? 1e-3 : 1) * (0.5 + x))],
  ])('%s', async (_what, checked, values) => {
    const { manifest, wgsl } = compileModuleForTest(checked, 'f16');
    const map = manifest.maps[0];
    const tensors = new Map([...randomParams(checked.structure, rng(5))].map(([name, v]) => [name, Float64Array.from(values(name, v), (x) => f16BitsToF32(f32ToF16Bits(x)))]));
    const packed = new Float32Array(map.paramSize);
    for (const p of map.params) packed.set(tensors.get(p.name)!, p.offset);
    const gpu = await GpuExecutor.create(await getTestDevice(), { ...map, wgsl: emulateSubgroupMatrix(wgsl, { packStorageF16: true }), storage: 'f16' });
    try {
      gpu.writeParams(packed);
      const host = { map, gpu, dtype: 'f16', requireParams: () => packed, checkUsable: () => undefined } as Partial<RunnerHost> as RunnerHost;
      const want = referenceDense(checked.structure, tensors);
      expect(worstEntryError(await denseMatrix(host), want)).toBeLessThan(2 ** -10);
      // The device's parameters are the runner's still (dense() cleared the biases in a copy).
      const again = await gpu.run(new Float32Array(map.in).fill(0), 1);
      expect(Array.from(again)).toEqual(Array.from(referenceApply(checked.structure, tensors, new Float64Array(map.in), 1), (x) => f16BitsToF32(f32ToF16Bits(x))));
    } finally {
      gpu.destroy();
    }
  });
});

// The last scale, 2^-8, is for a column whose pass overflows inside a chain at scale 1 where M does not: the sum of two
// entries of 3e38 is 6e38 before the outer factor's 1e-3 brings it to 6e35.
it.each(['webgpu', 'cpu'] as const)('%s: a column whose chain overflows float32 between its factors at scale 1 takes the scale 2^-8', async (backend: Backend) => {
  const checked = checkedMap('c', chain(dense(2, 2), sum(dense(2, 2), dense(2, 2))));
  const tensors = new Map([...randomParams(checked.structure, rng(3))].map(([name, v]) => [name, Float64Array.from(v, (x, i) => Math.fround(i === 0 ? (name === 'c.0.weight' ? 1e-3 : 3e38) : 0.5 + x))]));
  const runner = await runnerFor(backend, checked, tensors);
  try {
    const want = referenceDense(checked.structure, tensors);
    expect(want[0]).toBeGreaterThan(5e35);
    expect(worstEntryError(await runner.dense(), want)).toBeLessThan(1e-6);
  } finally {
    runner.destroy();
  }
});
