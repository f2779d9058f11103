/**
 * ks-sgmat-strided's `sw` knob (swizzled lanes): the staging writes and epilogue reads that
 * visit a vec4's lanes in rotated order (bank spread) rotate the register with two selects and
 * index it by constants instead of by the runtime lane (q + rotation) mod 4, which a driver may
 * keep in thread-local memory. Same addresses (so the bank tests of sgmat-strided.test.ts hold);
 * offered as twins of session 6's form, of the f16-result (acc16), ds-with-f32 and et schedules,
 * and of every contiguous (d = 1) schedule. The default of a strided factor (d > 1) whose lanes
 * rotate (8 δ or more: two or more runs) since session 11's H100 call (10-12% faster). Results through the subgroup-matrix emulation against
 * float64 (f32 storage as the emulation requires), with every rotation (16 δ: 4 runs of 4).
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase } from '../../bench/cases.js';
import { ksSgmatStrided, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { stridedSgmatLayout } from '../../src/codegen/wgsl/fast/ks-sgmat-strided-layout.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { acc16, beforeLongRowsF16, EMULATED, emulatedError, GOAL_SHAPES, H200, N4096, oneBetaPerItem, schedule, unfiltered } from './sgmat-strided-support.js';
import { kernelError, TOL_F16 } from './support.js';

const swizzled = (s: KsSgmatStridedSchedule): KsSgmatStridedSchedule => ({ ...s, sw: true });
/** Session 10's best for n = 4096's strided factor on the H100. */
const s10Best = schedule({ dtile: 8, cols: 64, sb: 32, mr: 1, chunks: 8, tk: 64, wres: true });
/** The addresses a kernel's staging and epilogue touch, in order (the lines that index k_xs, k_ws or k_os). */
const addresses = (wgsl: string): string[] => [...wgsl.matchAll(/k_(?:xs|ws|os)\[[^\]]*\]/g)].map((m) => m[0].replace(/\bqq\b/g, 'LANE').replace(/\(\(\du \+ (dv|kv|e \/ 8u)\) & 3u\)/g, 'LANE'));

describe('ks-sgmat-strided sw: the schedule space', () => {
  it('offers each sw schedule beside its twin without it, only where lanes rotate (vec4 runs); the default where they rotate by a runtime value', () => {
    for (const [name, c] of GOAL_SHAPES)
      for (const op of c.ops as KsOp[]) {
        const all = beforeLongRowsF16(ksSgmatStrided.candidates(op, H200));
        const keys = new Set(all.map(scheduleKey));
        const sw = all.filter((s) => s.sw !== undefined && s.chunks < 16); // 16 and 32 row chunks: sw only (below)
        expect(sw.length, `${name} d = ${op.d}`).toBeGreaterThan(0);
        for (const s of sw) {
          const { sw: _, ...twin } = s;
          expect(s.sw === true && keys.has(scheduleKey(twin)) && stridedSgmatLayout(op, s).srcVec === 4, JSON.stringify(s)).toBe(true);
        }
        const plain = ksSgmatStrided.defaultSchedule(op, H200);
        // sw where a row's δ (d > 1) take two or more vec4 runs, and with 4 δ as the twin of 16 row
        // chunks (the only form that offers them; sgmat-strided.test.ts); d = 1 keeps the plain form.
        expect(plain.sw, `${name} d = ${op.d}`).toBe(op.d > 1 && (plain.dtile >= 8 || plain.chunks === 16) ? true : undefined);
        if (op.d > 1) expect(all[all.length - 1].pd === 2 || all[all.length - 1].db === true, name).toBe(true); // pd and db stay last
      }
    const op1 = N4096.ops[1] as KsOp;
    expect(ksSgmatStrided.candidates(op1, H200)).toContainEqual(swizzled(s10Best));
    expect(ksSgmatStrided.candidates(op1, H200)).toContainEqual(swizzled(ksSgmatStrided.defaultSchedule(op1, H200)));
    expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(swizzled(s10Best))))).toEqual(swizzled(s10Best));
  });

  it('offers 16 row chunks with sw only, as twins of 8-chunk schedules of session 6\'s form, and 32 as twins of those with 16-row warp tiles', () => {
    const op1 = N4096.ops[1] as KsOp;
    const all = beforeLongRowsF16(ksSgmatStrided.candidates(op1, H200));
    const keys = new Set(all.map(scheduleKey));
    const long = all.filter((s) => s.chunks === 16);
    expect(long.length).toBeGreaterThan(0);
    for (const s of long) expect(s.sw === true && s.rg === undefined && s.et === undefined && s.acc16 === undefined && keys.has(scheduleKey({ ...s, chunks: 8 })), JSON.stringify(s)).toBe(true);
    const s = swizzled(schedule({ dtile: 16, cols: 32, sb: 32, mr: 2, chunks: 16, tk: 16, wres: true }));
    expect(all).toContainEqual(s);
    const k = ksSgmatStrided.emit(op1, s, contextFor(N4096, 'k', 1, 'f16'));
    expect(k.wgsl).toContain('for (var ch = 0u; ch < 16u; ch++) {');
    expect(k.dispatch).toEqual({ kind: 'tiled', rowsPerWorkgroup: 512, workgroupsPerRowTile: 8 });
    // 32 row chunks only as twins of 16-chunk schedules with 16-row warp tiles (512 rows per workgroup), and their pd 2 twins.
    const longest = all.filter((s) => s.chunks === 32);
    expect(longest.some((s) => s.pd === 2) && longest.some((s) => s.pd === undefined)).toBe(true);
    for (const s of longest) expect(s.mr === 1 && s.db === undefined && keys.has(scheduleKey({ ...s, chunks: 16 })), JSON.stringify(s)).toBe(true);
    // n = 4096's default (every β, 16-row warp tiles, 16 chunks again since session 20: 32 left 32 workgroups at B = 4096):
    // 256 rows, 256 workgroups at B = 16384.
    const def = oneBetaPerItem(ksSgmatStrided.defaultSchedule(op1, H200));
    expect(all).toContainEqual(def);
    expect(ksSgmatStrided.emit(op1, def, contextFor(N4096, 'k', 1, 'f16')).dispatch).toEqual({ kind: 'tiled', rowsPerWorkgroup: 256, workgroupsPerRowTile: 4 });
  });
});

describe('ks-sgmat-strided sw: the WGSL', () => {
  const op1 = N4096.ops[1] as KsOp;
  const emit = (s: KsSgmatStridedSchedule, op = op1, i = 1) => ksSgmatStrided.emit(op, s, contextFor(N4096, 'k', i, 'f16')).wgsl;

  it('indexes no vector by a runtime lane, and touches the same workgroup addresses in the same order', () => {
    for (const [s, op, i] of [
      [s10Best, op1, 1],
      [{ ...s10Best, dtile: 16, cols: 32, tk: 32 }, op1, 1],
      [ksSgmatStrided.defaultSchedule(N4096.ops[0] as KsOp, H200), N4096.ops[0] as KsOp, 0],
    ] as const) {
      const plain = emit(s, op, i);
      const text = emit(swizzled(s), op, i);
      expect(plain).toMatch(/\w\[qq\]/);
      expect(text, JSON.stringify(s)).not.toMatch(/\w\[qq\]/);
      expect(addresses(text), JSON.stringify(s)).toEqual(addresses(plain));
    }
    const text = emit(swizzled(s10Best));
    expect(text).toContain('let w1 = select(pf0_0, pf0_0.yzwx, ((dv) & 1u) != 0u);');
    expect(text).toContain('{ let qq = (1u + dv) & 3u; k_xs[(dv * 4u + qq) * 1168u + r * 72u + k] = w[1]; }');
    expect(text).toContain('var v = select(v1, v1.zwxy, ((dv) & 2u) != 0u);');
  });
});

describe('ks-sgmat-strided sw: results, emulated, against float64', () => {
  const square = monarchCase(256, 256, 16); // K(1, 16, 16, 16), and K(16, 16, 16, 1) first

  it('16 δ as 8 subgroups of 2 (every rotation), f32 results, bias and accumulation (batch 21)', async () => {
    const op = square.ops[1] as KsOp;
    const s = swizzled({ ...schedule({ dtile: 16, cols: 16, sb: 16, mr: 1, chunks: 2, tk: 16, wres: true }), ds: 2 });
    const biased: KsOp = { ...op, accumulate: true, bias: { tensor: 'blkdiag2', offset: 0, length: 256 } };
    expect(ksSgmatStrided.candidates(biased, EMULATED)).toContainEqual(s);
    expect(await emulatedError(square, s, 21, 1, biased)).toBeLessThan(TOL_F16);
  });

  it('f16 results written out as they are (acc16, vec4<f16> lanes), 2 δ per subgroup, 2 γ chunks (batch 19)', async () => {
    const wide = monarchCase(256, 256, 8); // K(1, 32, 32, 8)
    const s = swizzled({ ...acc16({ dtile: 8, cols: 32, sb: 32, mr: 1, chunks: 2, tk: 16, wres: true }), ds: 2 });
    expect(ksSgmatStrided.candidates(wide.ops[1] as KsOp, EMULATED)).toContainEqual(s);
    expect(await emulatedError(wide, s, 19)).toBeLessThan(TOL_F16);
  });

  it('16 row chunks (8 δ × 32 β), the batch ending in the second workgroup\'s third chunk (batch 300)', async () => {
    const wide = monarchCase(256, 256, 8); // K(1, 32, 32, 8)
    const s = swizzled(schedule({ dtile: 8, cols: 32, sb: 32, mr: 1, chunks: 16, tk: 16, wres: true }));
    expect(ksSgmatStrided.candidates(wide.ops[1] as KsOp, EMULATED)).toContainEqual(s);
    expect(await emulatedError(wide, s, 300)).toBeLessThan(TOL_F16);
  });

  it('the contiguous factor (d = 1, runs along γ and β), W staged (its rotated copy too), 2 row groups, 2 row chunks (batch 23)', async () => {
    const op = square.ops[0] as KsOp;
    expect(op).toMatchObject({ a: 16, b: 16, c: 16, d: 1 });
    const s = swizzled(schedule({ dtile: 1, cols: 16, sb: 16, mr: 1, rg: 2, chunks: 2, tk: 16, wres: false, wstage: true }));
    expect(ksSgmatStrided.candidates(op, EMULATED)).toContainEqual(s);
    expect(await emulatedError(square, s, 23, 0)).toBeLessThan(TOL_F16);
  });

  it('fails a kernel whose staging rotates the wrong way (the check can fail)', async () => {
    const op = square.ops[0] as KsOp;
    const s = swizzled(schedule({ dtile: 1, cols: 16, sb: 16, mr: 1, rg: 2, chunks: 1, tk: 16, wres: true, wstage: false }));
    expect(ksSgmatStrided.candidates(op, EMULATED)).toContainEqual(s);
    const broken = emulatedEmit((ctx) => {
      const k = unfiltered(ksSgmatStrided.emit(op, s, ctx));
      expect(k.wgsl).toContain('.yzwx, ((kv) & 1u)');
      return { ...k, wgsl: k.wgsl.replaceAll('.yzwx, ((kv) & 1u)', '.wxyz, ((kv) & 1u)') };
    }, { packWorkgroupF16: true });
    expect(await kernelError(square, 0, 1, broken, 5, 'f32')).toBeGreaterThan(0.1);
  });
});
