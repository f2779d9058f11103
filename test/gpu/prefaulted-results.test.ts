/**
 * forward(x) in Node (`monc/runtime/node`) takes its result arrays of a MiB or more from the
 * arrays helper threads made ahead (src/runtime/prefaulted-arrays.ts), in one piece and in
 * pipelined chunks: after the first two calls of a size each result is one of them, new and exactly
 * sized, right against the float64 reference (1e-5 relative, f32 on the test adapter) and shared
 * with no other result, calls that overlap included; forward(x, { out }) and results below a MiB take none.
 */
import { describe, expect, it, vi } from 'vitest';
import { MapRunner } from '../../src/runtime/node.js';
import { provideResultArrays } from '../../src/runtime/pipelined-forward.js';
import { startWorker } from '../../src/runtime/node-device.js';
import { prefaultedArrays } from '../../src/runtime/node-prefault.js';
import { PREFAULT_PLAN, PrefaultedArrays } from '../../src/runtime/prefaulted-arrays.js';
import { compileForTest } from '../support/compiled.js';
import { getTestDevice } from '../support/gpu.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import { blockdiag, checkedMap, randomParams } from '../ir/structures.js';
import { referenceApply } from '../support/reference.js';

const TOL = 1e-5;
/** How long to wait for the helpers' arrays (threads starting on a loaded machine: 1 s was too short beside other test files). */
const ARRIVAL = { timeout: 30_000 };
// 4096 -> 4096 as 4096 blocks of one value: cheap on SwiftShader; a row's result is 16 KiB.
const MAP = checkedMap('w', blockdiag(4096, 4096, 4096));

describe('forward(x) result arrays made ahead (webgpu)', () => {
  it("monc/runtime/node installs the process's arrays", () => {
    const installed = provideResultArrays(undefined);
    provideResultArrays(installed);
    const missed = prefaultedArrays.counts.missed;
    expect(installed?.(PREFAULT_PLAN.minBytes / 4)).toBeUndefined();
    expect(prefaultedArrays.counts.missed).toBe(missed + 1);
  });

  it('come from the helpers after the first two calls of a size, one piece and pipelined, each its own', async () => {
    // Arrays of the process's plan but never dropped for idleness here: threads starting slowly on a loaded machine (over
    // idleMs) would end before their arrays came.
    const arrays = new PrefaultedArrays(startWorker, { ...PREFAULT_PLAN, idleMs: 600_000 });
    const installed = provideResultArrays((count) => arrays.take(count));
    const compiled = compileForTest(MAP, 'f32');
    const runner = await MapRunner.create(compiled.map, compiled.wgsl, { backend: 'webgpu', device: await getTestDevice() });
    const params = randomParams(MAP.structure, rng(5));
    runner.loadParams(params);
    try {
      // 64 rows: 1 MiB in one piece; 512 rows: 8 MiB in two chunks submitted at the call.
      for (const batch of [64, 512]) {
        const bytes = batch * MAP.out * 4;
        expect(bytes).toBeGreaterThanOrEqual(PREFAULT_PLAN.minBytes);
        const x = randomArray(batch * MAP.in, rng(batch));
        const want = referenceApply(MAP.structure, params, x, batch);
        const before = { ...arrays.counts };
        for (const call of ['first', 'second']) expect(relativeError(await runner.forward(x), want), `batch ${batch}, ${call}`).toBeLessThan(TOL);
        expect(arrays.counts.missed).toBe(before.missed + 2);
        await vi.waitFor(() => expect(arrays.readyCount).toBe(PREFAULT_PLAN.depth), ARRIVAL);
        const a = await runner.forward(x);
        const b = await runner.forward(x);
        expect(arrays.counts.ready, `batch ${batch}: results from the helper`).toBe(before.ready + 2);
        for (const y of [a, b]) {
          expect(y.buffer.byteLength).toBe(bytes);
          expect(relativeError(y, want), `batch ${batch}`).toBeLessThan(TOL);
        }
        expect(a.buffer).not.toBe(b.buffer);
        a.fill(Number.NaN);
        expect(relativeError(b, want)).toBeLessThan(TOL);
        // Calls that overlap (the second queued behind the first) get arrays of their own too.
        const [c, d] = await Promise.all([runner.forward(x), runner.forward(x)]);
        expect(c.buffer).not.toBe(d.buffer);
        for (const y of [c, d]) expect(relativeError(y, want), `batch ${batch}, overlapping`).toBeLessThan(TOL);
        // The caller's array: nothing taken.
        const counts = { ...arrays.counts };
        const out = new Float32Array(batch * MAP.out);
        expect(await runner.forward(x, { out })).toBe(out);
        expect(arrays.counts).toEqual(counts);
      }
      // Below a MiB: made at the call, nothing taken.
      const counts = { ...arrays.counts };
      const x = randomArray(8 * MAP.in, rng(8));
      expect(relativeError(await runner.forward(x), referenceApply(MAP.structure, params, x, 8))).toBeLessThan(TOL);
      expect(arrays.counts).toEqual(counts);
    } finally {
      runner.destroy();
      provideResultArrays(installed);
    }
  });
});
