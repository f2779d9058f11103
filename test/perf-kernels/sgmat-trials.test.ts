/**
 * Session 31's bench-only ks-sgmat trial forms (bench/sgmat-trials.ts): 16 subgroups (512 invocations) of the tiles the
 * family offers on 8, for issue 11's gaps 1 and 2. What is checked here, before a device call: the rule that admits them
 * to a plan (only the grid differs from a candidate, and the workgroup's β divide the op's), that the tuner does not
 * offer them (but for call 1's winner, now a candidate: ks-sgmat-square.test.ts), and that plan-s31a's and plan-s31b's
 * entries emit within 512 invocations and 48 KiB (sgmat-plans.test.ts checks that monarch-goal times them and that
 * their emulated WGSL passes Tint). Their results are not run here: SwiftShader allows 256 invocations a workgroup, and
 * a 16-subgroup form needs 512; the grid's index arithmetic is the code every 8-subgroup form runs (ks-sgmat-eight.test.ts
 * checks those against float64), and monarch-goal checks each trial against the float64 reference on the GPU before
 * timing it (f16 contract, 3e-3), as every kernel.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { monarchCase } from '../../bench/cases.js';
import { H200_LIMITS, planTarget } from '../../bench/goal-families.js';
import { isSgmatTrial, SIXTEEN_SUBGROUPS } from '../../bench/sgmat-trials.js';
import { ksSgmat } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { Schedule } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';

const deep = monarchCase(4096, 1024, 4).ops[0] as KsOp; // K(4, 256, 1024, 1)
const narrow = monarchCase(16384, 16384, 128).ops[0] as KsOp; // K(128, 128, 128, 1)
const tile = (sg: number, sgc: number, rest: Partial<Schedule> = {}): Schedule => ({ family: 'ks-sgmat', rows: 64, cols: 32, dtile: 1, tk: 32, sg, sgc, ku: true, pad: 8, ...rest });

/** The workgroup memory a kernel declares, in bytes (f16 and f32 arrays: what ks-sgmat declares). */
function workgroupBytes(wgsl: string): number {
  return [...wgsl.matchAll(/var<workgroup> \w+: array<(f16|f32), (\d+)>/g)].reduce((n, m) => n + Number(m[2]) * (m[1] === 'f16' ? 2 : 4), 0);
}

describe('ks-sgmat 16-subgroup trials: which schedules are trials', () => {
  const all = ksSgmat.candidates(deep, H200_LIMITS);

  it('takes a candidate of the 2 x 4 or 4 x 2 grid moved to 4 x 4, 2 x 8 or 8 x 2, f32 or f16 sums', () => {
    expect(all).toContainEqual(tile(2, 4));
    for (const [sg, sgc] of SIXTEEN_SUBGROUPS.filter(([, sgc]) => sgc >= 4)) {
      expect(isSgmatTrial(tile(sg, sgc), deep, all)).toBe(true);
      expect(isSgmatTrial(tile(sg, sgc, { acc16: true, stage: true }), deep, all)).toBe(true);
    }
  });

  it('refuses candidates themselves, other grids, tiles without an 8-subgroup candidate and grids wider than the block', () => {
    expect(isSgmatTrial(tile(2, 4), deep, all)).toBe(false);
    expect(isSgmatTrial(tile(8, 4), deep, all)).toBe(false);
    // 128 x 64 subgroup tiles with f32 sums (32 result tiles, over the family's budget of 16) are no candidate on 2 x 4,
    // so no trial either.
    expect(isSgmatTrial(tile(4, 4, { rows: 128, cols: 64 }), deep, all)).toBe(false);
    // n = 16384's K(128, 128, 128, 1): 8 x 32 β exceed its blocks of 128; 4 x 32 fit.
    const narrowAll = ksSgmat.candidates(narrow, H200_LIMITS);
    expect(isSgmatTrial(tile(2, 8), narrow, narrowAll)).toBe(false);
    expect(isSgmatTrial(tile(4, 4), narrow, narrowAll)).toBe(true);
    expect(isSgmatTrial({ ...tile(4, 4), family: 'ks-sgmat-strided' }, deep, all)).toBe(false);
    // n = 4096's K(64, 64, 64, 1): 8 x 2 of its default's 64 x 32 tile (chunks of 16, f32 or f16 sums), not 4 x 4.
    const n4096 = monarchCase(4096, 4096, 64).ops[0] as KsOp;
    const n4096All = ksSgmat.candidates(n4096, H200_LIMITS);
    expect(isSgmatTrial(tile(8, 2, { tk: 16 }), n4096, n4096All)).toBe(true);
    expect(isSgmatTrial(tile(8, 2, { tk: 16, acc16: true, stage: true }), n4096, n4096All)).toBe(true);
    expect(isSgmatTrial(tile(4, 4, { tk: 16 }), n4096, n4096All)).toBe(false);
  });

  it('are not offered to the tuner, but for the one that won in call 1 (4 x 4 of 64 x 64 with f16 sums: sixteenSquares)', () => {
    for (const op of [deep, narrow, monarchCase(1024, 4096, 4).ops[0] as KsOp])
      for (const s of ksSgmat.candidates(op, H200_LIMITS).filter((s) => Number(s.sg ?? 1) * Number(s.sgc ?? 1) > 8))
        expect(s).toEqual({ family: 'ks-sgmat', rows: 64, cols: 64, dtile: 1, tk: 32, acc16: true, stage: true, sg: 4, sgc: 4, ku: true, pad: 8 });
  });
});

describe.each(['bench/plan-s31a.json', 'bench/plan-s31b.json'])('%s', (file) => {
  const plan = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Schedule[]>;

  // That monarch-goal times every entry and that each passes Tint: sgmat-plans.test.ts.
  it('emits every entry within 512 invocations and 48 KiB', () => {
    for (const [key, list] of Object.entries(plan)) {
      const target = planTarget(key);
      if (typeof target === 'string') throw new Error(target);
      for (const s of list) {
        const k = target.emit(s);
        expect(k.workgroupSize[0], `${key} ${JSON.stringify(s)}`).toBeLessThanOrEqual(512);
        expect(workgroupBytes(k.wgsl), `${key} ${JSON.stringify(s)}`).toBeLessThanOrEqual(H200_LIMITS.maxWorkgroupStorageBytes);
      }
    }
  });
});

describe('ks-sgmat 16-subgroup trials: the WGSL', () => {
  it('4 x 4 of 64 x 32 with f32 sums at 4096 -> 1024: 512 invocations over 256 rows x 128 β, 46 KiB', () => {
    // The 16-subgroup f32 form at 4096 -> 1024: 256 rows x 128 β, 512 invocations; 30 KiB of operands (chunks of 32 γ,
    // rows padded by 8 halves) and 16 one-tile f32 epilogues of 1 KiB: 46 KiB.
    const t = planTarget('4096x1024x4/f16/op0');
    if (typeof t === 'string') throw new Error(t);
    const k = t.emit(tile(4, 4));
    expect(k.workgroupSize).toEqual([512, 1, 1]);
    expect(k.dispatch).toMatchObject({ rowsPerWorkgroup: 256, workgroupsPerRowTile: 8 });
    expect(workgroupBytes(k.wgsl)).toBe(47104);
  });
});
