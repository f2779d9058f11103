/**
 * runner.dense() keeps M's digits beside a bias far larger than them (review finding R9): M is
 * read off forward passes of scaled unit vectors, so the float32 cancellation against the bias
 * costs about ulp(b)/scale, not ulp(b). Checked on webgpu and the CPU backend against the float64
 * reference, entry by entry, including a bias inside a chain.
 */
import { expect, it } from 'vitest';
import '../../src/runtime/cpu.js';
import { MapRunner, type Backend } from '../../src/runtime/map-runner.js';
import { bias, chain, checkedMap, dense, monarch, randomParams, rng, sum } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { referenceDense } from '../support/reference.js';
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

async function runnerFor(backend: Backend, checked: ReturnType<typeof checkedMap>, tensors: ReadonlyMap<string, Float64Array>): Promise<MapRunner> {
  const { manifest, wgsl } = compileModuleForTest(checked);
  const runner = await MapRunner.create(manifest.maps[0], wgsl, { backend, ...(backend === 'webgpu' ? { device: await getTestDevice() } : {}) });
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
it.each(['webgpu', 'cpu'] as const)('%s: each column takes its own scale, below 1 where an entry and the bias near the top of float32 need it', async (backend: Backend) => {
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
