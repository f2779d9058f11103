/**
 * The bench-only probes of the tensor-core families (src/codegen/wgsl/fast/sgmat-probe.ts): a schedule's `probe` puts one
 * stage of its kernel under `if (batch == 0xffffffffu)`. Checked here: no candidate or default carries one; a probe's WGSL is its
 * schedule's WGSL with guards added and nothing taken away (so the compiler keeps the code and what it feeds); the plan
 * check takes a probe only on a tensor-core candidate (bench/goal-families.ts isPlanned); and, through the subgroup-matrix
 * emulation on SwiftShader, the probed stage really leaves the dispatch (the results go wrong) where the same schedule
 * without it matches the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase } from '../../bench/cases.js';
import { planProblems } from '../../bench/goal-families.js';
import { ksSgmat, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import { ksSgmatStrided, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { PROBES } from '../../src/codegen/wgsl/fast/sgmat-probe.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { GOAL_SHAPES, H200, unfiltered } from './sgmat-strided-support.js';
import { kernelError, oneOp, TOL, TOL_F16 } from './support.js';

const R1024 = monarchCase(1024, 4096, 4);
const R4096 = monarchCase(4096, 1024, 4);
const strided = ksSgmatStrided.defaultSchedule(R1024.ops[1] as KsOp, H200);
// 4096 -> 1024's first factor: its f16-sum tuner seed (4 x 2 subgroups of 64 x 64, chunks of 32).
const seed: KsSgmatSchedule = { family: 'ks-sgmat', rows: 64, cols: 64, dtile: 1, tk: 32, sg: 4, sgc: 2, ku: true, pad: 8, acc16: true, stage: true };

/** The WGSL with the probes' guards opened and every brace and blank taken out: what code there is, in order. */
const code = (wgsl: string) => wgsl.replaceAll('if (batch == 0xffffffffu) {', '{').replace(/[\s{}]/g, '');

describe('sgmat probes: never candidates, decoded as written', () => {
  it('no candidate or default of either family carries a probe', () => {
    for (const [, c] of [...GOAL_SHAPES, ['4096->1024', R4096] as const])
      for (const op of c.ops as KsOp[]) {
        for (const f of [ksSgmat, ksSgmatStrided]) {
          expect(f.candidates(op, H200).some((s) => 'probe' in s)).toBe(false);
          expect('probe' in f.defaultSchedule(op, H200)).toBe(false);
        }
      }
  });

  it('decode keeps a known probe and refuses any other value', () => {
    for (const probe of PROBES) {
      expect(ksSgmatStrided.decode({ ...strided, probe })).toEqual({ ...strided, probe });
      expect(ksSgmat.decode({ ...seed, probe })).toEqual({ ...seed, probe });
    }
    expect(() => ksSgmat.decode({ ...seed, probe: 'stores' })).toThrow(/probe must be one of out, fetch, stage, mma/);
    expect(() => ksSgmatStrided.decode({ ...strided, probe: 1 })).toThrow(/probe must be one of/);
  });
});

describe('sgmat probes: the WGSL', () => {
  const stridedWgsl = (s: KsSgmatStridedSchedule) => ksSgmatStrided.emit(R1024.ops[1] as KsOp, s, contextFor(R1024, 'k', 1, 'f16')).wgsl;
  const seedWgsl = (s: KsSgmatSchedule) => ksSgmat.emit(R4096.ops[0] as KsOp, s, contextFor(R4096, 'k', 0, 'f16')).wgsl;

  it('adds guards and takes nothing away (the strided out probe adds one barrier where its epilogue was)', () => {
    const cases = [
      [stridedWgsl(strided), (probe: string) => stridedWgsl({ ...strided, probe }), true],
      [seedWgsl(seed), (probe: string) => seedWgsl({ ...seed, probe }), false],
    ] as const;
    for (const [base, probed, isStrided] of cases) {
      expect(base).not.toContain('batch == 0xffffffffu');
      for (const probe of PROBES) {
        const k = probed(probe);
        expect(k.match(/if \(batch == 0xffffffffu\) \{/g)?.length ?? 0, probe).toBeGreaterThan(0);
        const opened = code(k);
        if (isStrided && probe === 'out') {
          // Some one barrier of the probe's, taken out, leaves the schedule's code.
          const barrier = 'workgroupBarrier();';
          const at = [...opened.matchAll(/workgroupBarrier\(\);/g)].map((m) => m.index ?? -1);
          expect(at.some((i) => opened.slice(0, i) + opened.slice(i + barrier.length) === code(base)), probe).toBe(true);
        } else expect(opened, probe).toBe(code(base));
      }
    }
  });

  it('guards the stage each probe names', () => {
    const guarded = (wgsl: string): string =>
      wgsl
        .split('if (batch == 0xffffffffu) {')
        .slice(1)
        .map((part) => {
          // The guarded block: up to its closing brace.
          let depth = 1;
          let i = 0;
          for (; i < part.length && depth > 0; i++) depth += part[i] === '{' ? 1 : part[i] === '}' ? -1 : 0;
          return part.slice(0, i);
        })
        .join('\n');
    const mmas = (w: string) => w.match(/subgroupMatrixMultiplyAccumulate/g)?.length ?? 0;
    for (const [wgsl, s] of [
      [(x: KsSgmatStridedSchedule) => stridedWgsl(x), strided],
      [(x: KsSgmatSchedule) => seedWgsl(x), seed],
    ] as const) {
      const emit = wgsl as (x: typeof s) => string;
      const all = mmas(emit(s));
      expect(mmas(guarded(emit({ ...s, probe: 'mma' })))).toBe(all);
      expect(mmas(guarded(emit({ ...s, probe: 'out' })))).toBe(0);
      expect(guarded(emit({ ...s, probe: 'out' }))).toContain('k_dst[at] = ');
      expect(emit({ ...s, probe: 'out' }).split('if (batch == 0xffffffffu) {')[0]).not.toContain('k_dst[at] = ');
      for (const probe of ['fetch', 'stage'] as const) {
        const k = emit({ ...s, probe });
        expect(k.split('if (batch == 0xffffffffu) {')[0], probe).not.toMatch(/= k_src\[/);
        expect(guarded(k), probe).toMatch(/= k_src\[/);
        expect(/k_xs\[[^\]]*\] = /.test(guarded(k)), probe).toBe(probe === 'stage');
      }
    }
  });
});

describe('sgmat probes in plans (bench/goal-families.ts)', () => {
  it('takes a probe on a tensor-core candidate only', () => {
    expect(planProblems({ '1024x4096x4/f16/op1': PROBES.map((probe) => ({ ...strided, probe })), '4096x1024x4/f16/op0': [{ ...seed, probe: 'mma' }] })).toEqual([]);
    const bad = planProblems({
      '4096x1024x4/f16/op0': [
        { ...seed, probe: 'stores' },
        { ...seed, tk: 48, probe: 'out' },
      ],
      '4096/f32/op0': [{ family: 'ks-tiled', rows: 128, cols: 64, dtile: 1, tk: 16, rr: 8, rb: 8, probe: 'out' }],
    });
    expect(bad).toHaveLength(3);
    expect(bad.every((p) => p.includes('not a candidate of this build'))).toBe(true);
  });
});

describe('sgmat probes, emulated: the probed stage leaves the dispatch', () => {
  // SwiftShader compiles each emulated kernel in 10-60 s here: one small op per family, every probe once.
  it('ks-sgmat-strided, d = 4 (4 δ, 2 γ chunks, loads two ahead): the schedule matches float64, each probe does not', async () => {
    const c = oneOp(ks(1, 16, 64, 4, 'x', 'y', 'w'));
    const s: KsSgmatStridedSchedule = { family: 'ks-sgmat-strided', dtile: 4, cols: 16, sb: 16, mr: 1, chunks: 2, tk: 32, wres: true, pd: 2 };
    const error = (x: KsSgmatStridedSchedule) => kernelError(c, 0, 1, emulatedEmit((ctx) => unfiltered(ksSgmatStrided.emit(c.ops[0] as KsOp, x, ctx)), { packWorkgroupF16: true }), 37, 'f32');
    // Its workgroup arrays hold f16 (packWorkgroupF16), as on the GPU: the f16 contract's tolerance.
    expect(await error(s)).toBeLessThan(TOL_F16);
    for (const probe of PROBES) expect(await error({ ...s, probe }), probe).toBeGreaterThan(0.5);
  }, 600_000);

  it('ks-sgmat, 2 x 2 subgroups, acc16 + stage, tk 32: the schedule matches float64, each probe does not', async () => {
    const c = oneOp(ks(1, 32, 64, 1, 'x', 'y', 'w'));
    const s: KsSgmatSchedule = { family: 'ks-sgmat', rows: 16, cols: 16, dtile: 1, tk: 32, sg: 2, sgc: 2, ku: true, pad: 8, acc16: true, stage: true };
    const error = (x: KsSgmatSchedule) => kernelError(c, 0, 1, emulatedEmit((ctx) => ksSgmat.emit(c.ops[0] as KsOp, x, ctx)), 45, 'f32');
    expect(await error(s)).toBeLessThan(TOL);
    for (const probe of PROBES) expect(await error({ ...s, probe }), probe).toBeGreaterThan(0.5);
  }, 600_000);
});
