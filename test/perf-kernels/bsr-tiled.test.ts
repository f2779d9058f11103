/**
 * bsr-tiled (tiled block-sparse matmul) against the float64 op reference on SwiftShader: Pixelfly
 * patterns, empty block rows, rectangular blocks and matrices, permuted index maps, accumulation
 * and bias, batches of one row and batches leaving a partial row tile. Tolerance: SPEC §6 (f32
 * 1e-5, f16 3e-3).
 */
import { describe, expect, it } from 'vitest';
import { nodeGpu } from '../../bench/node-gpu.js';
import { bsrCase, contextFor, pixelflyCase, type OpsCase } from '../../bench/cases.js';
import { bsrTiled, type BsrTiledSchedule } from '../../src/codegen/wgsl/fast/bsr-tiled.js';
import { compileKernels } from '../../src/compile-kernels.js';
import { candidates as allCandidates } from '../../src/codegen/wgsl/families.js';
import type { Schedule, TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { BsrOp, IndexMap } from '../../src/ir/ir.js';
import { randomBlocks, randomIndexMap, rng } from '../support/programs.js';
import { expectModuleMatches, LIMITS, opError, sample, TOL, TOL_F16 } from './support.js';
import { workgroupBytes } from '../../bench/occupancy.js';

const H100: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };
const transposed = (r: number, c: number): IndexMap => ({ size: r * c, steps: [{ shape: [r, c], perm: [1, 0] }] });

/** The default, a spread of the candidates, and one candidate per outputs-per-thread (vec4 or scalar weight reads). */
function schedulesFor(op: BsrOp): Schedule[] {
  const all = bsrTiled.candidates(op, LIMITS) as BsrTiledSchedule[];
  expect(all.length).toBeGreaterThan(0);
  const perRb = [...new Map(all.map((s) => [s.rb, s])).values()];
  return [bsrTiled.defaultSchedule(op, LIMITS), ...sample(all, 2), ...perRb];
}

async function expectAllMatch(c: OpsCase<BsrOp>, batch: number, schedules: readonly Schedule[]): Promise<void> {
  for (const s of schedules) expect(await opError(bsrTiled, c, 0, s, batch), JSON.stringify(s)).toBeLessThan(TOL);
}

describe('bsr-tiled', () => {
  const r = rng(11);
  // A 6x5 grid of 8x8 blocks with block rows 1 and 4 empty.
  const sparseRows = randomBlocks(6, 5, 0.5, r).filter(([i]) => i !== 1 && i !== 4);
  const cases: [string, OpsCase<BsrOp>, number][] = [
    ['flat_butterfly, block 16, n = 128, batch 37 (partial row tile)', pixelflyCase(128, 16, 3), 37],
    ['flat_butterfly, block 32, n = 256, batch 1', pixelflyCase(256, 32, 2), 1],
    ['random pattern with empty block rows, batch 19', bsrCase(48, 40, 8, 8, sparseRows), 19],
    ['rectangular 4x8 blocks of a 40x64 matrix', bsrCase(40, 64, 4, 8, randomBlocks(10, 8, 0.4, r)), 9],
    ['rectangular 12x6 blocks of a 48x42 matrix (scalar loads)', bsrCase(48, 42, 12, 6, randomBlocks(4, 7, 0.5, r)), 6],
  ];
  for (const [name, c, batch] of cases) {
    it(`${name}: default and sampled candidates match the reference`, async () => {
      await expectAllMatch(c, batch, schedulesFor(c.ops[0]));
    });
  }

  it('follows permuted input and output maps, accumulates and adds the bias', async () => {
    const c = bsrCase(48, 64, 8, 8, randomBlocks(6, 8, 0.4, r), { input: randomIndexMap(64, 2, r), output: transposed(6, 8), accumulate: true, bias: true });
    await expectAllMatch(c, 13, schedulesFor(c.ops[0]));
  });

  it('a pattern without any block (the kernel never reads src) still binds and yields the bias', async () => {
    const c = bsrCase(32, 32, 8, 8, [], { bias: true });
    await expectAllMatch(c, 5, schedulesFor(c.ops[0]));
  });

  it('accumulates and adds the bias with vec4 stores (identity maps)', async () => {
    const c = bsrCase(64, 64, 16, 16, randomBlocks(4, 4, 0.5, r), { accumulate: true, bias: true });
    await expectAllMatch(c, 21, schedulesFor(c.ops[0]));
  });

  it('every candidate stays within the limits it is given, and the default is one of them', () => {
    const op = pixelflyCase(1024, 32, 3).ops[0];
    const counts = [LIMITS, H100].map((limits) => {
      const all = bsrTiled.candidates(op, limits);
      expect(all).toContainEqual(bsrTiled.defaultSchedule(op, limits));
      for (const s of all) {
        const k = bsrTiled.emit(op, s, contextFor(pixelflyCase(1024, 32, 3), 'k', 0, 'f32'));
        expect(k.workgroupSize[0], JSON.stringify(s)).toBeLessThanOrEqual(limits.maxWorkgroupSize);
        expect(workgroupBytes(k.wgsl), JSON.stringify(s)).toBeLessThanOrEqual(limits.maxWorkgroupStorageBytes);
      }
      return all.length;
    });
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBeGreaterThan(counts[0]);
    // The tuner's search space for a bsr op includes the tiled family.
    expect(allCandidates(op, H100).some((s) => s.family === 'bsr-tiled')).toBe(true);
  });

  it('has no candidate for 1-row blocks (too few outputs to tile: bsr-direct takes them)', () => {
    expect(bsrTiled.candidates(bsrCase(16, 16, 1, 4, [[0, 0]]).ops[0], H100)).toEqual([]);
  });

  it('f16 modules: bsr-tiled declares f16 storage, and runs (f16 storage where the adapter has shader-f16, else the f32-storage fallback the build shipped) within the f16 tolerance', async () => {
    const result = compileKernels('module sp\ndtype f16\nmap pf : 128 -> 128 = sparse(block: 16, pattern: flat_butterfly(factors: 2)) + bias()\n', 'sp.mon');
    const out = { ...result.outputs!, module: result.module! };
    expect(out.manifest.maps[0].kernels.map((k) => k.schedule.family)).toEqual(['bsr-tiled']);
    expect(out.manifest.enables).toContain('f16');
    expect(out.wgsl).toMatch(/var<storage, read_write> pf_op0_dst: array<(f16|vec4<f16>)>;/);
    await expectModuleMatches(out, [1, 7], TOL_F16);
    const { device } = await nodeGpu();
    if (device.features.has('shader-f16'))
      for (const c of [pixelflyCase(128, 16, 2), bsrCase(48, 42, 12, 6, randomBlocks(4, 7, 0.5, rng(3)), { bias: true, accumulate: true })]) {
        const op = c.ops[0];
        for (const s of [bsrTiled.defaultSchedule(op, LIMITS), ...sample(bsrTiled.candidates(op, LIMITS), 2)])
          expect(await opError(bsrTiled, c, 0, s, 7, 'f16'), JSON.stringify(s)).toBeLessThan(TOL_F16);
      }
  });
});
