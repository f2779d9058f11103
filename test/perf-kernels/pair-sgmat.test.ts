/**
 * ks-pair-sgmat (both Monarch factors in one tensor-core kernel, the intermediate in workgroup
 * memory): which pairs and targets it serves, its schedule space within the workgroup-storage
 * limit, and its WGSL text. Its results against the float64 reference run through the
 * subgroup-matrix emulation (SwiftShader has neither shader-f16 nor subgroup matrices).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksPairSgmat, pairSgmatCandidates, pairSgmatDefault, type KsPairSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-pair-sgmat.js';
import { SUBGROUP_MATRIX_UNIFORMITY_OFF } from '../../src/codegen/wgsl/fast/sgmat-results.js';
import { SUBGROUP_MATRIX_FEATURE } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { kernelError, TOL_F16 } from './support.js';
import { workgroupBytes } from '../../bench/occupancy.js';

const H200: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'] };

/** The Monarch case with its two factors marked as one pair, as lowering marks monarch(...). */
function markedMonarch(n: number, m: number, k: number): OpsCase<KsOp> {
  const c = monarchCase(n, m, k) as OpsCase<KsOp>;
  const [op0, op1] = c.ops;
  return { ...c, ops: [{ ...op0, pair: { group: 0, stage: 0 } }, { ...op1, pair: { group: 0, stage: 1 } }] };
}

const emit = (c: OpsCase<KsOp>, s: KsPairSgmatSchedule) => ksPairSgmat.emit(c.ops, s, contextFor(c, 'k', 0, 'f16'));

describe('ks-pair-sgmat applicability', () => {
  const square = markedMonarch(4096, 4096, 64);

  it('offers schedules for the marked n=4096 pair on the H200, every one within 48 KiB and 1024 invocations', () => {
    const all = ksPairSgmat.candidates(square.ops, H200);
    expect(all.length).toBeGreaterThan(0);
    expect(all).toContainEqual(ksPairSgmat.defaultSchedule(square.ops, H200));
    for (const s of all) {
      const k = emit(square, s);
      expect(workgroupBytes(k.wgsl), JSON.stringify(s)).toBeLessThanOrEqual(H200.maxWorkgroupStorageBytes);
      expect(k.workgroupSize[0]).toBe(32 * s.subgroups);
    }
  });

  it('offers nothing without shader-f16 and subgroup matrices, or for two unmarked ops of the same shapes', () => {
    expect(ksPairSgmat.candidates(square.ops, { ...H200, features: ['shader-f16'] })).toEqual([]);
    expect(ksPairSgmat.defaultSchedule(square.ops, { ...H200, features: [] })).toBeUndefined();
    const unmarked = monarchCase(4096, 4096, 64).ops;
    expect(ksPairSgmat.applies(unmarked)).toBe(false);
    expect(ksPairSgmat.candidates(unmarked, H200)).toEqual([]);
  });

  it('needs blocks of whole 16x16 tiles and x read in place', () => {
    const [op0, op1] = markedMonarch(384, 384, 8).ops; // blocks of 48: whole tiles
    expect(pairSgmatCandidates(op0, op1, H200)).not.toEqual([]);
    const [p0, p1] = markedMonarch(192, 192, 8).ops; // blocks of 24
    expect(pairSgmatCandidates(p0, p1, H200)).toEqual([]);
    expect(pairSgmatCandidates({ ...op0, input: { size: 384, steps: [{ shape: [8, 48], perm: [1, 0] }] } }, op1, H200)).toEqual([]);
  });

  it('schedules for smaller workgroup storage: n=256 fits 16 KiB; n=4096 needs the H200s 48 KiB (its intermediate slice alone is 32 KiB)', () => {
    const small = markedMonarch(256, 256, 16);
    const at16 = ksPairSgmat.candidates(small.ops, { ...H200, maxWorkgroupStorageBytes: 16384, maxWorkgroupSize: 256 });
    expect(at16.length).toBeGreaterThan(0);
    for (const s of at16) expect(workgroupBytes(emit(small, s).wgsl)).toBeLessThanOrEqual(16384);
    expect(ksPairSgmat.candidates(square.ops, { ...H200, maxWorkgroupStorageBytes: 32768 })).toEqual([]);
  });

  it('covers rectangular Monarch 1024 -> 4096 (d1 = 4: all four δ1 per workgroup, a 16-mid tile spans 4 γ1)', () => {
    const rect = markedMonarch(1024, 4096, 4);
    const all = ksPairSgmat.candidates(rect.ops, H200);
    expect(all.length).toBeGreaterThan(0);
    expect(new Set(all.map((s) => s.dslice))).toEqual(new Set([4]));
  });

  it('with c0 = 1024 (4096 -> 1024) or c1 = 128 (n = 16384) nothing fits 48 KiB: the x block or the intermediate slice is too large', () => {
    expect(ksPairSgmat.candidates(markedMonarch(4096, 1024, 4).ops, H200)).toEqual([]);
    expect(ksPairSgmat.candidates(markedMonarch(16384, 16384, 128).ops, H200)).toEqual([]);
  });

  test.prop([fc.constantFrom(16, 32, 48, 64), fc.constantFrom(1, 2, 4, 8, 16, 32, 64), fc.constantFrom(16, 32, 64), fc.integer({ min: 1, max: 6 })], { numRuns: 25 })(
    'over Monarch shapes: the default is a candidate, and every candidate fits the limits it was given',
    (block, nblocks, storageKiB, sgCap) => {
      const c = markedMonarch(block * nblocks, block * nblocks, nblocks);
      const limits = { ...H200, maxWorkgroupStorageBytes: storageKiB * 1024, maxWorkgroupSize: 32 * sgCap };
      const all = pairSgmatCandidates(c.ops[0], c.ops[1], limits);
      const d = pairSgmatDefault(c.ops[0], c.ops[1], limits);
      if (all.length === 0) {
        expect(d).toBeUndefined();
        return;
      }
      expect(all).toContainEqual(d);
      for (const s of all.slice(0, 8)) {
        const k = emit(c, s);
        expect(workgroupBytes(k.wgsl)).toBeLessThanOrEqual(limits.maxWorkgroupStorageBytes);
        expect(k.workgroupSize[0]).toBeLessThanOrEqual(limits.maxWorkgroupSize);
      }
    },
  );

  it('decodes each of its candidates back to itself, unpadded ones (pad 0) included: the tuner stores and re-reads them', () => {
    const all = pairSgmatCandidates(square.ops[0], square.ops[1], H200);
    expect(all.some((s) => s.pad === 0) && all.some((s) => s.pad > 0)).toBe(true);
    for (const s of all) expect(ksPairSgmat.decode(s)).toEqual(s);
    expect(() => ksPairSgmat.decode({ ...all[0], pad: -8 })).toThrow(/pad/);
  });

  it('needs f16 storage', () => {
    const s = ksPairSgmat.defaultSchedule(square.ops, H200)!;
    expect(() => ksPairSgmat.emit(square.ops, s, contextFor(square, 'k', 0, 'f32'))).toThrow(/f16/);
  });
});

describe('ks-pair-sgmat WGSL (n=4096, 64 blocks)', () => {
  const c = markedMonarch(4096, 4096, 64);
  const base: KsPairSgmatSchedule = { family: 'ks-pair-sgmat', rows: 16, dslice: 16, subgroups: 1, xblocks: 1, odelta: 8, cols: 32, pad: 8 };
  const one = emit(c, base);
  const four = emit(c, { ...base, subgroups: 4, xblocks: 4, pad: 0, cols: 16 });

  it('computes both ops in one tiled dispatch: 16 rows, 4 slices of 16 δ1 per row tile', () => {
    expect(one.ops).toEqual([0, 1]);
    expect(one.enables).toEqual(['f16', 'chromium_experimental_subgroup_matrix']);
    expect(one.dispatch).toEqual({ kind: 'tiled', rowsPerWorkgroup: 16, workgroupsPerRowTile: 4 });
    expect(one.wgsl).toContain('let delta_s = (group % 4u) * 16u;');
  });

  it('keeps the slice of t in workgroup memory as ts[δ1][row][γ1], rows padded to 72 halves', () => {
    expect(one.wgsl).toContain('var<workgroup> k_ts: array<f16, 18432>;');
    expect(one.wgsl).toContain('k_ts[((p % 16u) * 16u + r) * 72u + p / 16u] = f16(v);');
    expect(one.wgsl).toMatch(/subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>\(&k_ts, loff \+ kk, 72u\)/);
  });

  it("step 1 multiplies the staged x block by W0's rows read in place (stride c0); step 2 reads W1 in place (stride c1)", () => {
    expect(one.wgsl).toMatch(/subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>\(&k_xs, xoff0 \+ kk, 72u\)/);
    expect(one.wgsl).toContain('let woff0 = ((k0 + w0) * 64u + delta_s) * 64u;');
    expect(one.wgsl).toContain('let woff = 262144u + ((delta_s + dq) * 64u + bg * 32u) * 64u;');
    expect(one.wgsl).toMatch(/subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>\(&k_params, woff \+ 1024u \+ kk, 64u\)/);
    expect(one.wgsl.match(/subgroupMatrixMultiplyAccumulate/g)).toHaveLength(3);
  });

  it('writes y as vec4 along δ1', () => {
    expect(one.wgsl).toContain('var<storage, read_write> k_dst: array<vec4<f16>>;');
    expect(one.wgsl).toContain('let at = (row * 4096u + (beta * 64u + delta)) / 4u;');
  });

  it('one subgroup stays workgroup-uniform; several run under the subgroup-uniformity diagnostic switched off, each on its own tiles', () => {
    expect(one.wgsl).not.toContain('@diagnostic');
    expect(one.wgsl).toContain('let sg = 0u;');
    expect(four.workgroupSize).toEqual([128, 1, 1]);
    expect(four.wgsl).toContain(`${SUBGROUP_MATRIX_UNIFORMITY_OFF} {`);
    expect(four.wgsl).toContain('let sg = lid / 32u;');
    expect(four.wgsl).toContain('subgroupMatrixStore<col_major>(&k_sc, half + sg * 256u, acc0, 16u);');
  });

  it('alternates halves of the scratch between step-1 rounds when it holds two, one barrier per round fewer', () => {
    // four: 4 subgroups x 1 tile per round in a scratch of 2048 f32 (sized for step 2's 8 δ1 x 16 rows x 16 β1).
    expect(four.wgsl).toContain('let half = ((k0 / 4u + rd) % 2u) * 1024u;');
    expect(four.wgsl).toContain('let v = k_sc[half + e];');
    const barriers = (text: string) => text.match(/workgroupBarrier\(\);/g)!.length;
    const single = emit(c, { ...base, subgroups: 4, xblocks: 4, pad: 0, cols: 16, odelta: 4 }); // a scratch of 1024: one round's tiles
    expect(single.wgsl).not.toContain('let half');
    expect(barriers(single.wgsl) - barriers(four.wgsl)).toBe(1);
  });

  it('gives each subgroup as many step-1 tiles between barriers as the scratch holds', () => {
    const small = markedMonarch(256, 256, 16);
    const text = emit(small, { ...base, rows: 32, subgroups: 4, xblocks: 4, odelta: 4, cols: 16, pad: 0 }).wgsl;
    expect(text).toContain('var<workgroup> k_sc: array<f32, 2048>;');
    expect(text).toContain('acc1 = subgroupMatrixMultiplyAccumulate(l1, r1, acc1);');
    expect(text).toContain('subgroupMatrixStore<col_major>(&k_sc, (4u + sg) * 256u, acc1, 16u);');
  });

  it("adds op0's bias to t, op1's at its logical output index, and the old y when op1 accumulates", () => {
    const [op0, op1] = c.ops;
    const biased = { ...c, ops: [{ ...op0, bias: { tensor: 'blkdiag1', offset: 0, length: 4096 } }, { ...op1, accumulate: true, bias: { tensor: 'blkdiag2', offset: 0, length: 4096 } }] };
    const text = emit(biased, base).wgsl;
    expect(text).toContain('let v = k_sc[half + e] + f32(k_params[(p / 16u) * 64u + delta_s + p % 16u]);');
    expect(text).toContain('f32(k_params[262145u + (beta * 64u + delta)])');
    expect(text).toContain('v += vec4<f32>(k_dst[at]);');
  });
});

/**
 * The kernel's emulated text: the diagnostic filter that lets several subgroups use their own
 * tiles is dropped first (the emulation has no uniformity rules to switch off, and keeps every
 * matrix whole in each invocation, so subgroup-uniform offsets compute the same as on the GPU).
 */
const emulated = (c: OpsCase<KsOp>, s: KsPairSgmatSchedule) =>
  emulatedEmit((ctx) => {
    const k = ksPairSgmat.emit(c.ops, s, ctx);
    return { ...k, wgsl: k.wgsl.replace(SUBGROUP_MATRIX_UNIFORMITY_OFF, '') };
  }, { packWorkgroupF16: true });

describe('ks-pair-sgmat, emulated on SwiftShader, against the float64 reference', () => {
  // SwiftShader's workgroup limits; the emulation keeps f16 workgroup arrays f16 (packed), so the
  // kernels' footprint and their f16 rounding of t are the GPU's: tolerance SPEC §6 f16, 3e-3.
  const EMU: TargetLimits = { ...H200, maxWorkgroupSize: 256, maxWorkgroupStorageBytes: 32768 };
  const withBias = (c: OpsCase<KsOp>): OpsCase<KsOp> => {
    const [op0, op1] = c.ops;
    const m = op0.a * op0.b;
    const out = op1.b * op1.d;
    return { ...c, ops: [{ ...op0, bias: { tensor: 'blkdiag1', offset: 3, length: m } }, { ...op1, bias: { tensor: 'blkdiag2', offset: 5, length: out } }] };
  };
  const base: KsPairSgmatSchedule = { family: 'ks-pair-sgmat', rows: 16, dslice: 16, subgroups: 1, xblocks: 1, odelta: 4, cols: 16, pad: 0 };
  const cases: [string, OpsCase<KsOp>, KsPairSgmatSchedule, number][] = [
    // n=256, 16 blocks: one subgroup, 3 row tiles, the last one partial.
    ['n=256 nblocks=16, one subgroup', markedMonarch(256, 256, 16), base, 37],
    // Four subgroups on their own tiles, 32 rows, 2 step-1 tiles per subgroup between barriers: with tcols below (that
    // schedule by rows differs from it only in the layout of ts, which the other cases here run by rows).
    // d1 = 32 > b0 = 16: two slices per row tile (δs = 16), x blocks 32 mids apart; biases on both factors.
    ['n=512 nblocks=32 (two δ1 slices), biases', withBias(markedMonarch(512, 512, 32)), { ...base, subgroups: 2, xblocks: 2, cols: 16, pad: 8 }, 20],
    // A slice of 32 δ1 wider than op0's blocks (b0 = 16): each γ1's two tiles lie in two x blocks.
    ['n=512 nblocks=32, a 32-δ1 slice', markedMonarch(512, 512, 32), { ...base, dslice: 32, subgroups: 2, xblocks: 2 }, 3],
    // Rectangular 256 -> 512, d1 = 8 < 16: the slice is all 8 δ1, a tile spans 2 γ1, 2 tiles per x block.
    ['rectangular 256 -> 512 nblocks=8', markedMonarch(256, 512, 8), { ...base, dslice: 8, subgroups: 2, odelta: 8, cols: 32 }, 7],
    // Rectangular 256 -> 1024, d1 = 4: the slice is all 4 δ1, a tile spans 4 γ1, 4 tiles per x block.
    ['rectangular 256 -> 1024 nblocks=4', markedMonarch(256, 1024, 4), { ...base, dslice: 4, subgroups: 4, xblocks: 1, odelta: 4, cols: 32, pad: 8 }, 17],
  ];
  for (const [name, c, s, batch] of cases)
    it(`${name}: ${JSON.stringify(s)} at batch ${batch}`, async () => {
      expect(pairSgmatCandidates(c.ops[0], c.ops[1], EMU)).toContainEqual(s);
      expect(await kernelError(c, 0, 2, emulated(c, s), batch, 'f32')).toBeLessThan(TOL_F16);
    });
});

describe('ks-pair-sgmat with the intermediate by columns (tcols)', () => {
  const c = markedMonarch(4096, 4096, 64);
  const base: KsPairSgmatSchedule = { family: 'ks-pair-sgmat', rows: 16, dslice: 16, subgroups: 4, xblocks: 4, odelta: 8, cols: 16, pad: 0 };

  it('offers every candidate again with tcols, after all of them; no default takes it', () => {
    const all = pairSgmatCandidates(c.ops[0], c.ops[1], H200);
    const rows = all.filter((s) => s.tcols === undefined);
    expect(all.slice(0, rows.length)).toEqual(rows);
    expect(all.slice(rows.length)).toEqual(rows.map((s) => ({ ...s, tcols: true })));
    expect(pairSgmatDefault(c.ops[0], c.ops[1], H200)!.tcols).toBeUndefined();
    for (const s of all.slice(rows.length)) expect(ksPairSgmat.decode(s)).toEqual(s);
  });

  it('keeps ts as ts[δ1][γ1][row] without padding: step 1 writes 16-row runs, step 2 loads left tiles column-major with stride R', () => {
    const text = emit(c, { ...base, tcols: true }).wgsl;
    expect(text).toContain('var<workgroup> k_ts: array<f16, 16384>;');
    expect(text).toContain('k_ts[((p % 16u) * 64u + p / 16u) * 16u + r] = f16(v);');
    expect(text).toContain('let loff = dq * 1024u + i * 16u;');
    expect(text).toContain('subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, col_major>(&k_ts, loff + kk * 16u, 16u)');
    // xs keeps its padding knob; only ts changes.
    const padded = emit(c, { ...base, subgroups: 2, xblocks: 2, pad: 8, tcols: true }).wgsl;
    expect(padded).toContain('var<workgroup> k_ts: array<f16, 16384>;');
    expect(padded).toMatch(/subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>\(&k_xs, xoff0 \+ kk, 72u\)/);
  });

  /**
   * The most distinct 4-byte words one of the 32 banks serves in the first warp's first hand-over
   * store (step 1's copy of a result tile into ts), evaluated from the kernel's own text: the
   * copy's `let` chain and the ts index, in BigInt (u32 division truncates as BigInt's does) for
   * lid 0..31 in the first round of the first stage.
   */
  function handoverConflict(wgsl: string): number {
    const start = wgsl.indexOf('let e = lid;', wgsl.indexOf('subgroupMatrixStore<col_major>(&k_sc'));
    const block = wgsl.slice(start, wgsl.indexOf('= f16(v);', start));
    const big = (expr: string) => expr.replace(/(\d+)u\b/g, '$1n');
    const lets = [...block.matchAll(/let (\w+) = ([^;\[]+);/g)].map(([, name, expr]) => `const ${name} = ${big(expr)};`);
    const index = big(/k_ts\[(.+)\] $/.exec(block.trim() + ' ')![1]);
    const at = new Function('lid', 'rd', 'k0', 'half', `${lets.join(' ')} return ${index};`) as (...v: bigint[]) => bigint;
    const perBank = new Map<number, Set<number>>();
    for (let lid = 0; lid < 32; lid++) {
      const word = Number(at(BigInt(lid), 0n, 0n, 0n) / 2n); // two halves per word
      perBank.set(word % 32, (perBank.get(word % 32) ?? new Set()).add(word));
    }
    return Math.max(...[...perBank.values()].map((w) => w.size));
  }

  it('the hand-over: a warp writes one bank 32 times by rows at pad 0, 4 at pad 8, 2 by columns', () => {
    const s = { ...base, subgroups: 2, xblocks: 2, odelta: 4 };
    expect(handoverConflict(emit(c, { ...s, pad: 0 }).wgsl)).toBe(32);
    expect(handoverConflict(emit(c, { ...s, pad: 8 }).wgsl)).toBe(4);
    expect(handoverConflict(emit(c, { ...s, pad: 0, tcols: true }).wgsl)).toBe(2);
    expect(handoverConflict(emit(c, { ...base, tcols: true }).wgsl)).toBe(2);
  });

  const EMU: TargetLimits = { ...H200, maxWorkgroupSize: 256, maxWorkgroupStorageBytes: 32768 };
  const one: KsPairSgmatSchedule = { family: 'ks-pair-sgmat', rows: 16, dslice: 16, subgroups: 1, xblocks: 1, odelta: 4, cols: 16, pad: 0, tcols: true };
  const cases: [string, OpsCase<KsOp>, KsPairSgmatSchedule, number][] = [
    // Four subgroups on their own tiles (offsets from lid / 32), two row blocks per tile (R = 32: left tiles at i·16
    // within a column of ts), 2 step-1 tiles per subgroup between barriers (the scratch holds 8), batch 1.
    ['n=256 nblocks=16, 4 subgroups, 32 rows', markedMonarch(256, 256, 16), { ...one, rows: 32, subgroups: 4, xblocks: 4 }, 1],
    ['rectangular 256 -> 1024 nblocks=4 (a tile spans 4 γ1)', markedMonarch(256, 1024, 4), { ...one, dslice: 4, subgroups: 4, xblocks: 1, cols: 32, pad: 8 }, 17],
  ];
  for (const [name, mc, s, batch] of cases)
    it(`emulated against the float64 reference: ${name} at batch ${batch}`, async () => {
      expect(pairSgmatCandidates(mc.ops[0], mc.ops[1], EMU)).toContainEqual(s);
      expect(await kernelError(mc, 0, 2, emulated(mc, s), batch, 'f32')).toBeLessThan(TOL_F16);
    });

  it('a transposed hand-over (γ1 and rows swapped in ts) is caught by the same check', async () => {
    const mc = markedMonarch(256, 256, 16);
    const wrong = emulatedEmit((ctx) => {
      const k = ksPairSgmat.emit(mc.ops, one, ctx);
      const text = k.wgsl.replace(SUBGROUP_MATRIX_UNIFORMITY_OFF, '').replace(/col_major>\(&k_ts/, 'row_major>(&k_ts');
      expect(text).not.toBe(k.wgsl.replace(SUBGROUP_MATRIX_UNIFORMITY_OFF, ''));
      return { ...k, wgsl: text };
    }, { packWorkgroupF16: true });
    expect(await kernelError(mc, 0, 2, wrong, 5, 'f32')).toBeGreaterThan(0.1);
  });
});
