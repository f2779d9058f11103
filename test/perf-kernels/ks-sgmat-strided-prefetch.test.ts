/**
 * ks-sgmat-strided's `pd` knob: the source's global loads two γ chunks ahead (a second register
 * set) instead of one, so each chunk's loads have two multiply phases to arrive. Offered last, as
 * twins of session 6's form, its sw twins and its 16-row-chunk form where a row chunk has an even
 * number of γ chunks; the d = 4 default (in chunks of 32) since session 16 call 2.
 * Results through the subgroup-matrix emulation on SwiftShader against float64 (f32 storage as
 * the emulation requires), across row chunks and a batch that ends inside one.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksSgmatStrided, type KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { beforeLongRowsF16, H200, itMatchesFloat64, oneBetaPerItem, schedule, unfiltered } from './sgmat-strided-support.js';
import { kernelError } from './support.js';

type Knobs = Parameters<typeof schedule>[0];
const deeper = (s: Knobs, sw?: true): KsSgmatStridedSchedule => ({ ...schedule(s), ...(sw ? { sw } : {}), pd: 2 });
const n4096 = monarchCase(4096, 4096, 64);
const defaultShape = { dtile: 8, cols: 64, sb: 32, mr: 2, chunks: 4, tk: 32, wres: true };

describe('ks-sgmat-strided pd: the schedule space', () => {
  it("offers pd 2 last, as twins of session 6's form with an even number of γ chunks", () => {
    for (const c of [n4096, monarchCase(1024, 4096, 4), monarchCase(16384, 16384, 128)]) {
      const op = c.ops[1] as KsOp;
      const all = beforeLongRowsF16(ksSgmatStrided.candidates(op, H200));
      const at = all.findIndex((s) => s.pd !== undefined);
      expect(at).toBeGreaterThan(0);
      // Then the db twins (ks-sgmat-strided-db.test.ts).
      const end = all.findIndex((s) => s.db !== undefined);
      expect(all.slice(at, end < 0 ? all.length : end).every((s) => s.pd === 2)).toBe(true);
      expect(all.slice(at).every((s) => s.pd === 2 || s.db === true)).toBe(true);
      const keys = new Set(all.map(scheduleKey));
      for (const s of all.slice(at).filter((s) => s.pd !== undefined)) {
        const { pd: _, ...one } = s;
        expect(keys.has(scheduleKey(one)), JSON.stringify(s)).toBe(true);
        expect(s.rg === undefined && s.acc16 === undefined && (op.c / s.tk) % 2 === 0, JSON.stringify(s)).toBe(true);
      }
      // The d = 4 default takes pd 2 (in chunks of 32, session 16 call 2); elsewhere its pd twin is a candidate where its γ chunks pair up.
      const { pd, ...plain } = oneBetaPerItem(ksSgmatStrided.defaultSchedule(op, H200));
      expect(pd).toBe(plain.dtile === 4 ? 2 : undefined);
      if ((op.c / plain.tk) % 2 === 0) expect(all, JSON.stringify(plain)).toContainEqual({ ...plain, pd: 2 });
    }
    expect(ksSgmatStrided.candidates(n4096.ops[1] as KsOp, H200)).toContainEqual(deeper(defaultShape));
    expect(ksSgmatStrided.candidates(n4096.ops[1] as KsOp, H200)).not.toContainEqual(deeper({ ...defaultShape, tk: 64 })); // one γ chunk per row chunk
    expect(ksSgmatStrided.candidates(n4096.ops[0] as KsOp, H200).some((s) => 'pd' in s)).toBe(false);
    expect(ksSgmatStrided.decode(JSON.parse(JSON.stringify(deeper(defaultShape))))).toEqual(deeper(defaultShape));
  });
});

describe('ks-sgmat-strided pd WGSL (n = 4096, the default shape: 2 γ chunks per row chunk)', () => {
  const k = ksSgmatStrided.emit(n4096.ops[1] as KsOp, deeper(defaultShape), contextFor(n4096, 'k', 1, 'f16')).wgsl;
  const base = ksSgmatStrided.emit(n4096.ops[1] as KsOp, schedule(defaultShape), contextFor(n4096, 'k', 1, 'f16')).wgsl;

  it('declares a second register set and fills both before the row-chunk loop', () => {
    const loop = k.indexOf('for (var ch = 0u;');
    expect(k).toContain('var pg0_0: vec4<f16>;');
    expect(base).not.toContain('pg0_0');
    expect(k.slice(0, loop)).toMatch(/pf0_0 = k_src\[\(min\(rb \+ r, batch - 1u\) \* 4096u \+ alpha \* 4096u \+ k \* 64u/);
    expect(k.slice(0, loop)).toMatch(/pg0_0 = k_src\[\(min\(rb \+ r, batch - 1u\) \* 4096u \+ alpha \* 4096u \+ \(32u \+ k\) \* 64u/);
  });

  it("stashes chunk 0 from the first set and chunk 1 from the second, each set refilled with the next row chunk's same chunk", () => {
    const body = k.slice(k.indexOf('for (var ch = 0u;'));
    const stash0 = body.indexOf('= pf0_0[qq];');
    const stash1 = body.indexOf('= pg0_0[qq];');
    expect(stash0).toBeGreaterThan(0);
    expect(stash1).toBeGreaterThan(stash0);
    const refill0 = body.slice(stash0, stash1);
    expect(refill0).toContain('if (ch + 1u < 4u && r0 + 32u < batch) {');
    expect(refill0).toMatch(/pf0_0 = k_src\[\(min\(rb \+ r, batch - 1u\) \* 4096u \+ alpha \* 4096u \+ k \* 64u/);
    expect(body.slice(stash1)).toMatch(/pg0_0 = k_src\[\(min\(rb \+ r, batch - 1u\) \* 4096u \+ alpha \* 4096u \+ \(32u \+ k\) \* 64u/);
    // Same barriers and multiply-adds as pd 1.
    expect(k.match(/workgroupBarrier\(\);/g)?.length).toBe(base.match(/workgroupBarrier\(\);/g)?.length);
    expect(k.match(/subgroupMatrixMultiplyAccumulate/g)?.length).toBe(base.match(/subgroupMatrixMultiplyAccumulate/g)?.length);
  });
});

describe('ks-sgmat-strided pd results, emulated, against the float64 reference', () => {
  const cases: [string, OpsCase, KsSgmatStridedSchedule, number][] = [
    ['d = 8, 2 γ chunks, 4 row chunks (the batch ends in the third)', monarchCase(256, 256, 8), deeper({ dtile: 4, cols: 32, sb: 32, mr: 1, chunks: 4, tk: 16, wres: true }), 40],
    ['d = 16, 4 γ chunks (two per set), 4 δ, 2 row chunks', monarchCase(1024, 1024, 16), deeper({ dtile: 4, cols: 16, sb: 16, mr: 1, chunks: 2, tk: 16, wres: true }), 37],
    ['d = 16, 8 δ with swizzled lanes (two vec4 runs), W resident, 2 row chunks (the batch ends in the second)', monarchCase(1024, 1024, 16), deeper({ dtile: 8, cols: 16, sb: 16, mr: 1, chunks: 2, tk: 16, wres: true }, true), 23],
  ];
  itMatchesFloat64(cases);
});

describe('ks-sgmat-strided pd: the check can fail', () => {
  it('fails a kernel that stashes the second γ chunk from the first register set', async () => {
    const c = monarchCase(256, 256, 8);
    const s = deeper({ dtile: 4, cols: 32, sb: 32, mr: 1, chunks: 4, tk: 16, wres: true });
    const op = c.ops[1] as KsOp;
    const broken = emulatedEmit((ctx) => {
      const k = unfiltered(ksSgmatStrided.emit(op, s, ctx));
      expect(k.wgsl).toContain('= pg0_0[qq];');
      return { ...k, wgsl: k.wgsl.replaceAll('= pg0_0[qq];', '= pf0_0[qq];') };
    }, { packWorkgroupF16: true });
    expect(await kernelError(c, 1, 1, broken, 40, 'f32')).toBeGreaterThan(0.1);
  });
});
