/**
 * Every fast kernel family against the float64 op reference on SwiftShader (small sizes; odd
 * batches so row tiles are partial; shapes whose sizes are not multiples of the tiles).
 * Tolerance: SPEC §6 f32, relative Frobenius error 1e-5.
 */
import { describe, expect, it } from 'vitest';
import { nodeGpu } from '../../bench/node-gpu.js';
import { checkCase, contextFor, denseCase, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksTiled } from '../../src/codegen/wgsl/fast/ks-tiled.js';
import { emitPair, pairCandidates, pairDefaultSchedule } from '../../src/codegen/wgsl/fast/ks-pair-fused.js';
import { DEFAULT_LIMITS } from '../../src/codegen/wgsl/kernel.js';
import { KernelCheck } from '../../src/tuner/kernel-check.js';
import { defaultAndSample, LIMITS, opError, TOL } from './support.js';


describe('ks-tiled', () => {
  const cases: [string, OpsCase, number][] = [
    ['dense 40 -> 36 (partial tiles)', denseCase(40, 36), 7],
    ['monarch op0 (d = 1)', monarchCase(64, 64, 8), 5],
    ['monarch op1 (d = 8, strided)', monarchCase(64, 64, 8), 33],
    ['rectangular monarch 48 -> 96', monarchCase(48, 96, 4), 3],
  ];
  for (const [name, c, batch] of cases) {
    const index = name.includes('op1') ? 1 : 0;
    it(`${name}: default and sampled candidates match the reference`, async () => {
      const op = c.ops[index];
      const schedules = defaultAndSample(ksTiled.defaultSchedule(op, LIMITS), ksTiled.candidates(op, LIMITS), 4);
      for (const s of schedules) expect(await opError(ksTiled, c, index, s, batch), JSON.stringify(s)).toBeLessThan(TOL);
    });
  }

  it('accumulates, adds a bias and follows permuted index maps (pipelined staging or not)', async () => {
    const transposed = { size: 64, steps: [{ shape: [8, 8], perm: [1, 0] }] };
    const op = ks(4, 16, 16, 1, 'x', 'y', 'w', { accumulate: true, input: transposed, output: transposed, bias: { tensor: 'b', offset: 0, length: 64 } });
    const c: OpsCase = {
      name: 'permuted',
      ops: [op],
      params: [{ name: 'w', shape: [4, 16, 16], offset: 0 }, { name: 'b', shape: [64], offset: 1024 }],
      paramSize: 1088,
      buffers: [{ name: 'x', size: 64 }, { name: 'y', size: 64 }],
      in: 64,
      out: 64,
      flopsPerRow: 0,
    };
    for (const vec4 of [true, false])
      for (const pipeline of [false, true]) expect(await opError(ksTiled, c, 0, { ...ksTiled.defaultSchedule(op, LIMITS), vec4, pipeline }, 9)).toBeLessThan(TOL);
  });

  it('has no candidate for ops too narrow to tile (butterfly radix 2)', () => {
    expect(ksTiled.candidates(ks(8, 2, 2, 4, 'x', 'y', 'w'), DEFAULT_LIMITS)).toEqual([]);
  });
});

describe('ks-pair-fused (Monarch in one dispatch)', () => {
  const cases: [OpsCase, number][] = [
    [monarchCase(64, 64, 8), 9],
    [monarchCase(256, 256, 16), 3],
    [monarchCase(64, 128, 4), 17],
    [monarchCase(128, 64, 8), 5],
  ];
  for (const [c, batch] of cases) {
    it(`${c.name}, batch ${batch}: default and sampled candidates match the reference`, async () => {
      const [op0, op1] = c.ops;
      const def = pairDefaultSchedule(op0, op1, LIMITS);
      expect(def).toBeDefined();
      const { device } = await nodeGpu();
      const check = KernelCheck.create(device, checkCase(c, 0, 2, 'f32', batch));
      try {
        for (const s of defaultAndSample(def!, pairCandidates(op0, op1, LIMITS), 3)) {
          const err = await check.check(emitPair(op0, op1, s, contextFor(c, 'fused', 0, 'f32')));
          expect(err, JSON.stringify(s)).toBeLessThan(TOL);
        }
      } finally {
        check.destroy();
      }
    });
  }

  it('stays within the workgroup storage and size limits it is given', () => {
    const [op0, op1] = monarchCase(4096, 4096, 64).ops;
    const small = pairCandidates(op0, op1, LIMITS);
    const big = pairCandidates(op0, op1, { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] });
    expect(small.length).toBeGreaterThan(0);
    expect(big.length).toBeGreaterThan(small.length);
  });
});
