/**
 * The roofline probes (bench/roofline-probes.ts) compute what each says, on SwiftShader: the data
 * movement probes (copy, Monarch permutation through a tile, the strided factor's δ runs) bit for
 * bit over random shapes (non-powers of two, batch 1, tiles that split b and c), in f32 and, through
 * the emulation's f16 -> f32 rewrite, f16; the tensor-core probes (left tiles from registers, a
 * storage buffer row- or column-major at several strides, workgroup memory, the f32 -> f16
 * round trip; barriers) through the subgroup-matrix emulation (test/support/sgmat-emulation.ts),
 * exactly (their inputs are small dyadic values: every sum is exact in f32); the FP32 FMA tile
 * exactly. And each check can fail: a kernel that computes something else is reported.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { nodeGpu } from '../../bench/node-gpu.js';
import { copyProbe, fmaProbe, l2Probe, mmaProbe, permuteProbe, runsProbe, type MmaParams, type Probe } from '../../bench/roofline-probes.js';
import { runProbe } from '../../bench/roofline-run.js';
import { emulateSubgroupMatrix } from '../support/sgmat-emulation.js';

/** The probe's output check on SwiftShader: f16 and subgroup-matrix kernels through the emulation. */
async function mismatch(probe: Probe, wgsl = probe.wgsl): Promise<string | undefined> {
  const { device } = await nodeGpu();
  const emulate = probe.features.length > 0;
  const run = await runProbe(device, probe, emulate ? { wgsl: emulateSubgroupMatrix(wgsl), f16AsF32: true } : { wgsl });
  return run.mismatch;
}

const dtype = fc.constantFrom('f32' as const, 'f16' as const);
/** A multiple of 4 in [4, 4·max]. */
const quad = (max: number) => fc.integer({ min: 1, max }).map((k) => 4 * k);
/** A multiple of 4 dividing `v` (itself a multiple of 4), drawn from its divisors. */
const quadDivisor = (v: number) => fc.constantFrom(...Array.from({ length: v / 4 }, (_, i) => 4 * (i + 1)).filter((t) => v % t === 0));

describe('data movement probes move every element where they say', () => {
  test.prop([dtype, quad(300), fc.constantFrom(4, 32, 96, 256), fc.integer({ min: 1, max: 4 })], { numRuns: 6 })('copy', async (t, elements, workgroupSize, perInvocation) => {
    expect(await mismatch(copyProbe({ dtype: t, elements, workgroupSize, perInvocation }))).toBeUndefined();
  });

  test.prop(
    [fc.tuple(dtype, fc.integer({ min: 1, max: 5 }), quad(6), quad(6), fc.integer({ min: 0, max: 1 })).chain(([t, batch, b, c, pad]) =>
      fc.tuple(fc.constant({ t, batch, b, c, pad }), quadDivisor(b), quadDivisor(c)),
    )],
    { numRuns: 8 },
  )('Monarch permutation y[r, j·b + i] = x[r, i·c + j] through a tile', async ([{ t, batch, b, c, pad }, ti, tj]) => {
    expect(await mismatch(permuteProbe({ dtype: t, batch, b, c, ti, tj, pad }))).toBeUndefined();
  });

  test.prop(
    [fc.tuple(dtype, fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 7 }), quad(6), fc.integer({ min: 1, max: 4 }), fc.constantFrom(32, 64)).chain(([t, batch, c, d, rows, wg]) =>
      fc.tuple(fc.constant({ t, batch, c, d, rows, wg }), quadDivisor(d)),
    )],
    { numRuns: 8 },
  )('the strided factor’s δ runs (batch off the row tile)', async ([{ t, batch, c, d, rows, wg }, run]) => {
    expect(await mismatch(runsProbe({ dtype: t, batch, c, d, run, rows, workgroupSize: wg }))).toBeUndefined();
  });

  test.prop([quad(200), fc.integer({ min: 1, max: 5 }), fc.constantFrom(32, 64), fc.integer({ min: 1, max: 9 })], { numRuns: 4 })(
    'L2 reads: each invocation sums its window of the buffer (wrapping around it)',
    async (footprint, workgroups, workgroupSize, perInvocation) => {
      expect(await mismatch(l2Probe({ footprint, workgroups, workgroupSize, perInvocation }))).toBeUndefined();
    },
  );

  it('a kernel that does not permute fails the permutation’s check', async () => {
    const p = permuteProbe({ dtype: 'f32', batch: 3, b: 8, c: 12, ti: 8, tj: 4, pad: 1 });
    const copy = copyProbe({ dtype: 'f32', elements: 3 * 96, workgroupSize: 32, perInvocation: 1 });
    expect(await mismatch({ ...p, workgroups: copy.workgroups }, copy.wgsl)).toMatch(/^y\[\d+\]/);
  });
});

describe('tensor-core probes (emulated) accumulate exactly the products they say', () => {
  const small = { workgroups: 2, iterations: 5 };
  const cases: [string, MmaParams][] = [
    ['registers, one subgroup, 1x1', { ...small, left: 'registers', subgroups: 1, nl: 1, nr: 1 }],
    ['registers, two subgroups, 2x2, column-major left tiles at stride 32', { ...small, left: 'registers', subgroups: 2, nl: 2, nr: 2, layout: 'col_major', stride: 32 }],
    ['registers with a barrier every 2 steps', { ...small, left: 'registers', subgroups: 2, nl: 1, nr: 2, barrierEvery: 2 }],
    ['storage, row-major, stride 16, period 4 (5 steps: one tile twice)', { ...small, left: 'storage', subgroups: 2, nl: 2, nr: 1, layout: 'row_major', stride: 16, period: 4 }],
    ['storage, column-major, stride 48', { ...small, left: 'storage', subgroups: 1, nl: 2, nr: 1, layout: 'col_major', stride: 48, period: 3 }],
    ['workgroup memory, row-major, stride 32', { ...small, left: 'workgroup', subgroups: 2, nl: 1, nr: 2, layout: 'row_major', stride: 32, period: 2 }],
    ['workgroup memory, column-major, stride 16', { ...small, left: 'workgroup', subgroups: 1, nl: 2, nr: 1, layout: 'col_major', stride: 16, period: 2 }],
    ['storage, column-major, stride 40 (not a multiple of 16: tiles 2 to a band)', { ...small, left: 'storage', subgroups: 2, nl: 1, nr: 1, layout: 'col_major', stride: 40, period: 3 }],
    ['registers with workgroup memory reserved (occupancy bound)', { ...small, left: 'registers', subgroups: 2, nl: 1, nr: 1, barrierEvery: 2, reserveBytes: 4096 }],
    ['the f32 -> f16 round trip through workgroup memory', { ...small, left: 'roundtrip', subgroups: 2, nl: 1, nr: 1 }],
    ['the round trip into padded rows (stride 24), left tile read column-major first', { ...small, left: 'roundtrip', subgroups: 1, nl: 1, nr: 1, layout: 'col_major', stride: 24 }],
    ['the round trip by columns (contiguous, loaded column-major)', { ...small, left: 'roundtrip', subgroups: 2, nl: 1, nr: 1, handoverColumns: true }],
    ['mma-acc: f16 result matrices, 2 x 2 accumulators on two subgroups', { ...small, left: 'registers', subgroups: 2, nl: 2, nr: 2, result: 'f16' }],
    ['mma-acc: f32 result matrices stated, 4 x 2 accumulators', { ...small, left: 'registers', subgroups: 1, nl: 4, nr: 2, result: 'f32' }],
    ['mma-acc: f16 result matrices, left tiles from workgroup rows of 72, period 4', { ...small, left: 'workgroup', layout: 'row_major', stride: 72, period: 4, subgroups: 2, nl: 4, nr: 2, result: 'f16' }],
  ];
  for (const [name, params] of cases)
    it(name, async () => {
      const p = mmaProbe(params);
      const mmasPerStep = params.left === 'roundtrip' ? 2 : 1;
      expect(p.flops).toBe(params.workgroups * params.subgroups * params.nl * params.nr * params.iterations * mmasPerStep * 8192);
      expect(await mismatch(p)).toBeUndefined();
    });

  it('a loop one step short fails the check', async () => {
    const p = mmaProbe({ ...small, left: 'storage', subgroups: 1, nl: 1, nr: 1, period: 2 });
    const short = mmaProbe({ ...small, iterations: small.iterations - 1, left: 'storage', subgroups: 1, nl: 1, nr: 1, period: 2 });
    expect(await mismatch(p, short.wgsl)).toMatch(/^out\[\d+\]/);
  });

  it('mma-acc: the stated result type is the matrices\' and the output\'s, in its own group; f16 sums that are not k times the left tile fail the check', async () => {
    const p = mmaProbe({ ...small, left: 'registers', subgroups: 1, nl: 1, nr: 1, result: 'f16' });
    expect([p.group, p.output.dtype, p.name]).toEqual(['mma-acc', 'f16', 'mma-registers-sg1-1x1-acc-f16-w2']);
    expect(p.wgsl).toContain('subgroup_matrix_result<f16, 16, 16>');
    expect(p.wgsl).toContain('var<storage, read_write> out: array<f16>;');
    expect(mmaProbe({ ...small, left: 'registers', subgroups: 1, nl: 1, nr: 1 }).group).toBe('mma');
    const short = mmaProbe({ ...small, iterations: small.iterations - 1, left: 'registers', subgroups: 1, nl: 1, nr: 1, result: 'f16' });
    expect(await mismatch(p, short.wgsl)).toMatch(/^out\[\d+\]/);
  });

  it('mma-acc: not with the round trip, and f16 sums only as long as they stay exact', () => {
    expect(() => mmaProbe({ ...small, left: 'roundtrip', subgroups: 1, nl: 1, nr: 1, result: 'f32' })).toThrow(/round trip/);
    expect(() => mmaProbe({ ...small, iterations: 1025, left: 'registers', subgroups: 1, nl: 1, nr: 1, result: 'f16' })).toThrow(/1024/);
  });

  it('a round trip that transposes the tile fails the check', async () => {
    const p = mmaProbe({ ...small, left: 'roundtrip', subgroups: 1, nl: 1, nr: 1, stride: 24 });
    const transposed = p.wgsl.replace('(e % 16u) * 24u + e / 16u', '(e / 16u) * 24u + e % 16u');
    expect(transposed).not.toBe(p.wgsl);
    expect(await mismatch(p, transposed)).toMatch(/^out\[\d+\]/);
  });

  it('left tiles read in the other layout fail the check', async () => {
    const p = mmaProbe({ ...small, left: 'storage', subgroups: 1, nl: 1, nr: 1, layout: 'row_major', stride: 16, period: 2 });
    const swapped = p.wgsl.replace('subgroup_matrix_left<f16, 16, 16>, row_major', 'subgroup_matrix_left<f16, 16, 16>, col_major');
    expect(swapped).not.toBe(p.wgsl);
    expect(await mismatch(p, swapped)).toMatch(/^out\[\d+\]/);
  });
});

describe('the FP32 FMA tile', () => {
  test.prop([fc.constantFrom(32, 96), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 })], { numRuns: 4 })(
    'sums iterations · a_i · b_j over its tile, per invocation',
    async (workgroupSize, workgroups, tr, tc, iterations) => {
      const p = fmaProbe({ workgroupSize, workgroups, tr, tc, iterations });
      expect(p.flops).toBe(2 * workgroupSize * workgroups * tr * tc * iterations);
      expect(await mismatch(p)).toBeUndefined();
    },
  );

  it('a tile with a different operand fails the check', async () => {
    const p = fmaProbe({ workgroupSize: 32, workgroups: 1, tr: 2, tc: 2, iterations: 3 });
    expect(await mismatch(p, p.wgsl.replace('(g + 1u) % 64u', '(g + 2u) % 64u'))).toMatch(/^out\[\d+\]/);
  });
});
