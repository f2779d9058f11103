/**
 * ks-sgmat-strided's `mt` knob (session 14): the source chunk moved into workgroup memory by
 * matrix copies, a row-major 16 rows x 16 δ left matrix loaded straight from the source and stored
 * column-major into δ columns of rows, instead of vec4 loads along δ and 16 scalar stores per
 * invocation and chunk in rotated lanes (n = 4096's strided factor is not limited by its reads or
 * writes, KC-6 in session 13: its instruction stream is the suspect). The schedule space, the WGSL,
 * and results through the subgroup-matrix emulation on SwiftShader against float64: whole and
 * partial last row tiles (element-wise copies), one and two workgroups along δ, W resident and in
 * place, bias and accumulation. The emulation runs 256 invocations at most, so its cases
 * take 2 or 4 δ per subgroup (`ds`): the same planes, reached through the δ slots.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksSgmatStrided, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import type { KsOp } from '../../src/ir/ir.js';
import { EMULATED, emulatedError, H200, knobSpace, N4096, schedule, workgroupBytes } from './sgmat-strided-support.js';
import { TOL_F16 } from './support.js';

const copied = (s: KsSgmatStridedSchedule): KsSgmatStridedSchedule => ({ ...s, mt: true });
const count = (text: string, what: string) => text.split(what).length - 1;

describe('ks-sgmat-strided mt: the schedule space', () => {
  it('offers the sw schedules of session 6\'s form (8 and 16 row chunks) with mt where a workgroup takes 16 δ, before ku and pd; never the default', () => {
    for (const { name, op, all, withKnob: mt, at, twinned } of knobSpace('mt')) {
      expect(mt.length > 0, name).toBe(op.d >= 16);
      expect(twinned, name).toBe(true);
      for (const s of mt) expect(s.mt === true && s.sw === true && s.dtile === 16 && s.rg === undefined && s.pd === undefined, JSON.stringify(s)).toBe(true);
      if (mt.length > 0) {
        expect(all.slice(at, at + mt.length), name).toEqual(mt);
        expect(all.slice(at + mt.length).every((s) => s.ku === true || s.pd === 2), name).toBe(true); // then ku, then pd
      }
      expect(ksSgmatStrided.defaultSchedule(op, H200).mt, name).toBeUndefined();
    }
    // n = 4096's default (16 δ x 32 β, 8 row chunks, W resident, sw) and its 16-chunk twin with mt.
    const op1 = N4096.ops[1] as KsOp;
    const base = ksSgmatStrided.defaultSchedule(op1, H200);
    const all = ksSgmatStrided.candidates(op1, H200);
    expect(all).toContainEqual(copied(base));
    expect(all).toContainEqual(copied({ ...base, chunks: 16 }));
    expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(copied(base))))).toEqual(copied(base));
  });
});

describe('ks-sgmat-strided mt: the WGSL (n = 4096, K(1, 64, 64, 64), the default with mt)', () => {
  const op = N4096.ops[1] as KsOp;
  const base = ksSgmatStrided.defaultSchedule(op, H200);
  const k = ksSgmatStrided.emit(op, copied(base), contextFor(N4096, 'k', 1, 'f16'));
  const plain = ksSgmatStrided.emit(op, base, contextFor(N4096, 'k', 1, 'f16'));

  it('copies 16 rows x 16 δ per matrix: 2 copies per subgroup and chunk (32 rows x 16 γ x 16 δ over 16 subgroups)', () => {
    expect(k.workgroupSize).toEqual(plain.workgroupSize);
    expect(k.wgsl).toContain('@group(0) @binding(1) var<storage, read> k_src: array<f16>;');
    // 16 γ slices of 16 δ columns of 40 halves (32 rows + 8), slices 648 apart (16·40 + 8).
    expect(k.wgsl).toContain('var<workgroup> k_xs: array<f16, 10368>;');
    expect(workgroupBytes(k.wgsl)).toBeLessThan(workgroupBytes(plain.wgsl));
    expect(k.wgsl).toContain('var pm1 = subgroup_matrix_left<f16, 16, 16>();');
    expect(k.wgsl).not.toContain('var pm2');
    expect(k.wgsl).toContain('pm1 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&k_src, row * 4096u + alpha * 4096u + (16u + g) * 64u + delta0, 4096u);');
    expect(k.wgsl).toContain('subgroupMatrixStore<col_major>(&k_xs, g * 648u + tile * 16u, pm0, 40u);');
    expect(k.wgsl).toContain('let tile = (sg + 16u) % 2u;');
    expect(k.wgsl).toContain('let g = (sg + 16u) / 2u;');
    // No rotated scalar stores in the staging (the epilogue keeps its rotated reads).
    expect(k.wgsl).not.toMatch(/k_xs\[[^\]]*qq/);
    expect(count(k.wgsl, 'pf0_')).toBe(0);
  });

  it('loads the left matrices column-major from the δ column of the subgroup, γ slices apart; the same MMAs and barriers', () => {
    expect(k.wgsl).toContain('let l1_0 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, col_major>(&k_xs, sd * 40u + 16u, 648u);');
    expect(count(k.wgsl, 'subgroupMatrixMultiplyAccumulate(')).toBe(count(plain.wgsl, 'subgroupMatrixMultiplyAccumulate('));
    expect(count(k.wgsl, 'workgroupBarrier()')).toBe(count(plain.wgsl, 'workgroupBarrier()'));
  });

  it('moves a copy whose rows pass the batch end element by element, rows clamped (no matrix load past the buffer)', () => {
    expect(k.wgsl).toContain('if (row + 16u <= batch) {');
    expect(k.wgsl).toContain('k_xs[g * 648u + tile * 16u + dd * 40u + r] = k_src[min(row + r, batch - 1u) * 4096u + alpha * 4096u + g * 64u + delta0 + dd];');
  });
});

describe('ks-sgmat-strided mt: results (emulated, against float64)', () => {
  const square = monarchCase(256, 256, 16); // K(1, 16, 16, 16)
  const wide = monarchCase(1024, 1024, 32); // K(1, 32, 32, 32)
  const mt = (s: Parameters<typeof schedule>[0], ds: number): KsSgmatStridedSchedule => ({ ...schedule(s), ds, sw: true, mt: true });
  const cases: [string, OpsCase, KsSgmatStridedSchedule, number][] = [
    ['d = 16, 16 δ as 8 subgroups of 2, W resident, a partial last row tile', square, mt({ dtile: 16, cols: 16, sb: 16, mr: 1, chunks: 2, tk: 16, wres: true }, 2), 21],
    ['d = 16, W in place, 4 row chunks, whole tiles', square, mt({ dtile: 16, cols: 16, sb: 16, mr: 1, chunks: 4, tk: 16, wres: false }, 2), 64],
    ['d = 32, two workgroups along δ and two along β, two row tiles of workgroups (the second partial), 4 δ per subgroup, W resident', wide, mt({ dtile: 16, cols: 16, sb: 16, mr: 1, chunks: 2, tk: 16, wres: true }, 4), 37],
    ['d = 32, W in place, a batch ending 2 rows into the fourth row chunk', wide, mt({ dtile: 16, cols: 16, sb: 16, mr: 1, chunks: 4, tk: 16, wres: false }, 2), 50],
  ];
  for (const [name, c, s, batch] of cases)
    it(`${name} (batch ${batch})`, async () => {
      const op = c.ops[1] as KsOp;
      const k = ksSgmatStrided.emit(op, s, contextFor(c, 'k', 1, 'f16'));
      expect(k.workgroupSize[0], name).toBeLessThanOrEqual(EMULATED.maxWorkgroupSize);
      expect(workgroupBytes(k.wgsl), name).toBeLessThanOrEqual(EMULATED.maxWorkgroupStorageBytes);
      expect(await emulatedError(c, s, batch), JSON.stringify(s)).toBeLessThan(TOL_F16);
    });

  it('adds the bias and accumulates (d = 16, batch 30)', async () => {
    const op = square.ops[1] as KsOp;
    const biased: KsOp = { ...op, accumulate: true, bias: { tensor: 'blkdiag2', offset: 0, length: 256 } };
    const s = mt({ dtile: 16, cols: 16, sb: 16, mr: 1, chunks: 2, tk: 16, wres: true }, 2);
    expect(await emulatedError(square, s, 30, 1, biased)).toBeLessThan(TOL_F16);
  });
});
