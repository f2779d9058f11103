/**
 * ks-dtiled's session 22 forms (src/codegen/wgsl/fast/ks-dtiled.ts): `db`, the staged tiles twice over
 * with one barrier per chunk, with it `pd` 2, chunks fetched two ahead through two register sets, and
 * `wq`, warps of 8 δ × 2 β tiles × 2 row tiles. Offered after every other candidate (the order of the
 * timed ones unchanged), never a default; the two copies fit 48 KiB at n=16384 and n=4096 with chunks
 * of 4; each unrolled half of db's loop stores to and reads from its own copy, and with pd 2 stashes
 * and refills its own registers two chunks ahead; on SwiftShader all match the float64 reference
 * (SPEC §6 f32, 1e-5), with partial row tiles, a > 1, bias and accumulation.
 */
import { describe, expect, it } from 'vitest';
import { contextFor, ks, monarchCase, type OpsCase } from '../../bench/cases.js';
import { ksDtiled, type KsDtiledSchedule } from '../../src/codegen/wgsl/fast/ks-dtiled.js';
import { LIMITS, opError, sample, TOL } from './support.js';

const HOPPER = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };
const isNew = (s: KsDtiledSchedule) => s.db === true || s.wq === true || s.pd !== undefined;

describe('ks-dtiled db and wq', () => {
  it('come after every other candidate, never as defaults, and fit 48 KiB at n=4096 and n=16384 with chunks of 4', () => {
    for (const c of [monarchCase(4096, 4096, 64), monarchCase(16384, 16384, 128)]) {
      const op = c.ops[1];
      const all = ksDtiled.candidates(op, HOPPER);
      const first = all.findIndex(isNew);
      expect(first, c.name).toBeGreaterThan(0);
      expect(all.slice(first).every(isNew), c.name).toBe(true);
      const def = ksDtiled.defaultSchedule(op, HOPPER);
      expect(isNew(def), c.name).toBe(false);
      const doubled: KsDtiledSchedule = { ...def, tk: 4, db: true };
      expect(all, c.name).toContainEqual(doubled);
      expect(all, c.name).toContainEqual({ ...doubled, wq: true });
      expect(all, c.name).toContainEqual({ ...doubled, pd: 2 });
      expect(all, c.name).toContainEqual({ ...doubled, pd: 2, wq: true });
      expect(all, c.name).toContainEqual({ ...def, wq: true });
      // Two copies of 4 padded planes of 145 vec4s each, source and weights: 37,120 bytes.
      expect(ksDtiled.emit(op, doubled, contextFor(c, 'k', 1, 'f32')).wgsl, c.name).toContain('array<array<vec4<f32>, 145>, 8>');
      // With chunks of 8 two copies would take 74,240 bytes.
      expect(all.some((s) => s.db === true && s.tk === 8 && s.rows === 64 && s.cols === 64 && s.dtile === 8 && s.pad === true), c.name).toBe(false);
    }
  });

  it('db: one barrier per chunk, each unrolled half storing to and reading from its own copy', () => {
    const c = monarchCase(16384, 16384, 128);
    const op = c.ops[1];
    const doubled: KsDtiledSchedule = { ...ksDtiled.defaultSchedule(op, HOPPER), tk: 4, db: true };
    const wgsl = ksDtiled.emit(op, doubled, contextFor(c, 'k', 1, 'f32')).wgsl;
    const loop = wgsl.slice(wgsl.indexOf('for (var k0'));
    expect(loop).toContain('k0 += 8u');
    expect(loop.match(/workgroupBarrier\(\)/g)).toHaveLength(2);
    const [half0, half1] = loop.split('const buf = 1u;');
    expect(half0).toContain('const buf = 0u;');
    for (const half of [half0, half1]) {
      const accesses = [...half.matchAll(/k_(?:xs|ws)\[([^\]]+)\]/g)].map((m) => m[1]);
      expect(accesses.length).toBeGreaterThan(0);
      expect(accesses.every((a) => a.startsWith('buf * 4u'))).toBe(true);
    }
    // The single-buffered twin passes two per chunk.
    const { db: _db, ...single } = doubled;
    const plain = ksDtiled.emit(op, single, contextFor(c, 'k', 1, 'f32')).wgsl;
    const plainLoop = plain.slice(plain.indexOf('for (var k0'));
    expect(plainLoop).toContain('k0 += 4u');
    expect(plainLoop.match(/workgroupBarrier\(\)/g)).toHaveLength(2);
  });

  it('pd 2: each half stashes its own registers and refills them with the chunk two ahead', () => {
    const c = monarchCase(16384, 16384, 128);
    const op = c.ops[1];
    const s: KsDtiledSchedule = { ...ksDtiled.defaultSchedule(op, HOPPER), tk: 4, db: true, pd: 2 };
    const wgsl = ksDtiled.emit(op, s, contextFor(c, 'k', 1, 'f32')).wgsl;
    const [prologue, loop] = wgsl.split('for (var k0');
    // Chunk 0 into pf, chunk 1 (γ 4..7) into pg before the loop.
    expect(prologue).toMatch(/pf0_0 = k_src\[[^\n]* k \* 128u/);
    expect(prologue).toMatch(/pg0_0 = k_src\[[^\n]*\(4u \+ k\) \* 128u/);
    const [half0, half1] = loop.split('const buf = 1u;');
    expect(half0).toContain('= pf0_0.x;');
    expect(half0).not.toContain('pg');
    expect(half0).toMatch(/if \(k0 \+ 8u < 128u\) \{\s*\{[^}]*pf0_0 = k_src\[[^\n]*\(k0 \+ 8u \+ k\)/);
    expect(half1).toContain('= pg0_0.x;');
    expect(half1).not.toContain('pf');
    expect(half1).toMatch(/if \(k0 \+ 12u < 128u\) \{\s*\{[^}]*pg0_0 = k_src\[[^\n]*\(k0 \+ 12u \+ k\)/);
    expect(ksDtiled.candidates(op, HOPPER).every((x) => x.pd === undefined || (x.pd === 2 && x.db === true))).toBe(true);
  });

  it('are offered only where they apply: db for an even number of chunks, wq for 8 δ and even tile counts', () => {
    const all = [monarchCase(64, 64, 8), monarchCase(256, 256, 16), monarchCase(192, 96, 8), monarchCase(48, 96, 4)].flatMap((c) => ksDtiled.candidates(c.ops[1], LIMITS).map((s) => [c.ops[1], s] as const));
    const doubled = all.filter(([, s]) => s.db === true);
    const quads = all.filter(([, s]) => s.wq === true);
    expect(doubled.length).toBeGreaterThan(0);
    expect(quads.length).toBeGreaterThan(0);
    expect(doubled.every(([op, s]) => op.c % (2 * s.tk) === 0 && s.pl === true && s.ku === true && s.pipeline && s.bcast !== true)).toBe(true);
    expect(quads.every(([, s]) => s.dtile === 8 && (s.cols / s.rb) % 2 === 0 && (s.rows / s.rr) % 2 === 0 && s.bcast !== true)).toBe(true);
  });

  it('match the reference on SwiftShader (d = 8 and 16, partial row tiles)', async () => {
    const cases: [OpsCase, number][] = [
      [monarchCase(64, 64, 8), 9],
      [monarchCase(256, 256, 16), 70],
    ];
    for (const [c, batch] of cases) {
      const all = ksDtiled.candidates(c.ops[1], LIMITS);
      const picks = [
        ...sample(all.filter((s) => s.db === true && s.wq !== true && s.pd === undefined), 2),
        ...sample(all.filter((s) => s.pd === 2 && s.wq !== true), 2),
        ...sample(all.filter((s) => s.wq === true && s.db !== true), 2),
        ...sample(all.filter((s) => s.db === true && s.wq === true), 2),
      ];
      for (const s of picks) expect(await opError(ksDtiled, c, 1, s, batch), `${c.name} ${JSON.stringify(s)}`).toBeLessThan(TOL);
    }
  });

  it('accumulate and add the bias at the logical output index (a > 1)', async () => {
    const op = ks(2, 8, 8, 8, 'x', 'y', 'w', { accumulate: true, bias: { tensor: 'b', offset: 0, length: 128 } });
    const c: OpsCase = {
      name: 'bias',
      ops: [op],
      params: [{ name: 'b', shape: [128], offset: 0 }, { name: 'w', shape: [16, 8, 8], offset: 128 }],
      paramSize: 1152,
      buffers: [{ name: 'x', size: 128 }, { name: 'y', size: 128 }],
      in: 128,
      out: 128,
      flopsPerRow: 0,
    };
    const all = ksDtiled.candidates(op, LIMITS);
    const picks = [...sample(all.filter((s) => s.db === true && s.pd === undefined), 2), ...sample(all.filter((s) => s.pd === 2), 2), ...sample(all.filter((s) => s.wq === true), 2)];
    expect(picks.length).toBe(6);
    for (const s of picks) expect(await opError(ksDtiled, c, 0, s, 7), JSON.stringify(s)).toBeLessThan(TOL);
  });
});
