/**
 * ks-chain-fused: which runs of Kronecker-sparse factors fuse and into which tiles, the kernels
 * of a spread of candidates against the float64 reference (SPEC §6: relative Frobenius error
 * 1e-5 for f32, 3e-3 for f16) on SwiftShader-sized problems (odd batches leave partial row
 * tiles), and fusion in the build and tuning path: untuned builds fuse by the default partition,
 * tuned runs are used, stale ones ignored, and the tuner's partition reproduces through the
 * lookup.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { nodeGpu } from '../../bench/node-gpu.js';
import type { OpsCase } from '../../bench/cases.js';
import { compileKernels, type TuningLookup } from '../../src/compile-kernels.js';
import { chainShape, ksChainFused, type KsChainSchedule } from '../../src/codegen/wgsl/fast/ks-chain-fused.js';
import { DEFAULT_LIMITS, defaultSchedule, fusableRuns, fusesRun, defaultPartition, greedyPartition, runCandidates, runsAt, type Schedule, type TargetLimits } from '../../src/codegen/wgsl/index.js';
import type { Op, Program } from '../../src/ir/ir.js';
import { adapterIdentity, type AdapterIdentity } from '../../src/tuner/adapter-identity.js';
import { emptyDb, kernelSignature, merge, type TuningEntry } from '../../src/tuner/db.js';
import { scheduleLookup } from '../../src/tuner/lookup.js';
import { tuneProgram } from '../../src/tuner/tune.js';
import { deviceTargetLimits } from '../../src/runtime/device.js';
import { MONC_VERSION } from '../../src/version.js';
import { ProgramBuilder, rng } from '../support/programs.js';
import { defaultAndSample, expectModuleMatches, kernelError, LIMITS, TOL, TOL_F16 } from './support.js';

const BIG: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };

function compiled(body: string, dtype = 'f32', tuning?: TuningLookup) {
  const result = compileKernels(`module cf\ndtype ${dtype}\n${body}\n`, 'cf.mon', tuning ? { tuning } : {});
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { ...result.outputs!, programs: result.programs!, module: result.module! };
}

/** The one map of a spec, as a program. */
const programOf = (expr: string, n: number) => compiled(`map m : ${n} -> ${n} = ${expr}`).programs[0];
const range = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, k) => first + k);
const asCase = (p: Program): OpsCase<Op> => ({ ...p, flopsPerRow: 0 });

describe('which runs fuse, and their tiles', () => {
  const bf4096 = programOf('butterfly(radix: 2)', 4096);

  it('butterfly radix 2, n = 4096: levels 0..5 are tiles of 64 contiguous, levels 6..11 tiles of 64 with stride 64', () => {
    const low = chainShape(range(0, 5).map((i) => bf4096.ops[i]))!;
    expect(low).toMatchObject({ tile: 64, mixed: [{ place: 1, size: 64, local: 1 }], lowFree: 1 });
    const high = chainShape(range(6, 11).map((i) => bf4096.ops[i]))!;
    expect(high).toMatchObject({ tile: 64, mixed: [{ place: 64, size: 64, local: 1 }], free: [{ place: 1, size: 64 }], lowFree: 64 });
    expect(high.factors.map((f) => f.local)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(chainShape(bf4096.ops)!.tile).toBe(4096);
    // Every run of two or more levels fuses, except those that would read and write the same
    // temporary in one dispatch (t0 -> … -> t0).
    expect(runsAt(bf4096, 0)).toHaveLength(11);
    expect(fusesRun(bf4096, range(1, 3))).toBe(true);
    expect(bf4096.ops[1]).toMatchObject({ src: bf4096.ops[4].dst });
    expect(fusesRun(bf4096, range(1, 4))).toBe(false);
  });

  it('order-3 Monarch, n = 4096: factors 1 and 2 are tiles of 256 contiguous elements', () => {
    const m3 = programOf('monarch(order: 3)', 4096);
    expect(chainShape(m3.ops.slice(0, 2))).toMatchObject({ tile: 256, mixed: [{ place: 1, size: 256 }], lowFree: 1 });
    expect(chainShape(m3.ops.slice(1, 3))).toMatchObject({ tile: 256, mixed: [{ place: 16, size: 256 }], lowFree: 16 });
  });

  it('a digit split by another factor (radix 4 at place 1, radix 2 at place 2 of 8): tiles of 4', () => {
    const b = new ProgramBuilder('p', 8, 8, rng(1));
    const t0 = b.temp(8);
    const { program } = b.ks({ a: 2, b: 4, c: 4, d: 1 }, 'x', t0).ks({ a: 2, b: 2, c: 2, d: 2 }, t0, 'y').build();
    expect(chainShape(program.ops)).toMatchObject({ tile: 4, mixed: [{ place: 1, size: 4 }], free: [{ place: 4, size: 2 }], factors: [{ radix: 4, local: 1 }, { radix: 2, local: 2 }] });
  });

  it('does not fuse an accumulate or bias before the last op, non-square blocks, index maps, mismatched digits, shared intermediates', () => {
    const build = (f: (b: ProgramBuilder, t: string[]) => void, n = 16) => {
      const b = new ProgramBuilder('p', n, n, rng(2));
      const t = [b.temp(n), b.temp(n)];
      f(b, t);
      return b.build().program;
    };
    const k = (a: number, r: number, d: number) => ({ a, b: r, c: r, d });
    const good = build((b, [t0]) => b.ks(k(8, 2, 1), 'x', t0).ks(k(4, 2, 2), t0, 'y'));
    expect(fusableRuns(good)).toEqual([[0, 1]]);
    const accumulating = build((b, [t0]) => b.ks(k(8, 2, 1), 'x', t0).ks(k(8, 2, 1), 'x', t0, { accumulate: true }).ks(k(4, 2, 2), t0, 'y'));
    expect(runsAt(accumulating, 1)).toEqual([]);
    const biased = build((b, [t0]) => b.ks(k(8, 2, 1), 'x', t0, { bias: true }).ks(k(4, 2, 2), t0, 'y'));
    expect(fusableRuns(biased)).toEqual([]);
    const lastAccumulates = build((b, [t0]) => b.ks(k(8, 2, 1), 'x', t0).ks(k(4, 2, 2), t0, 'y', { accumulate: true, bias: true }));
    expect(fusableRuns(lastAccumulates)).toEqual([[0, 1]]);
    const rectangular = build((b, [t0]) => b.ks({ a: 4, b: 2, c: 4, d: 1 }, 'x', t0).ks(k(4, 2, 1), t0, 'y'));
    expect(fusableRuns(rectangular)).toEqual([]);
    const transposed = { size: 16, steps: [{ shape: [4, 4], perm: [1, 0] }] };
    const mapped = build((b, [t0]) => b.ks(k(8, 2, 1), 'x', t0, { output: transposed }).ks(k(4, 2, 2), t0, 'y'));
    expect(fusableRuns(mapped)).toEqual([]);
    // Radix 3 at place 1 and radix 2 at place 2 of 12: boundaries 1, 2, 3, 4 have no common refinement.
    const mismatched = build((b, [t0]) => b.ks(k(4, 3, 1), 'x', t0).ks(k(3, 2, 2), t0, 'y'), 12);
    expect(fusableRuns(mismatched)).toEqual([]);
    // Radix 1 (diagonal scaling, e.g. monarch(nblocks: 2) of a 2-vector) mixes no digit.
    const diagonal = build((b, [t0]) => b.ks(k(2, 1, 1), 'x', t0).ks(k(1, 1, 2), t0, 'y'), 2);
    expect(fusableRuns(diagonal)).toEqual([]);
    const shared = build((b, [t0, t1]) => b.ks(k(8, 2, 1), 'x', t0).ks(k(4, 2, 2), t0, t1).ks(k(8, 2, 1), t0, 'y').ks(k(4, 2, 2), t1, 'y', { accumulate: true }));
    expect(runsAt(shared, 0)).toEqual([]);
  });

  it('greedy partitions: chain runs within the tile budget; the Monarch pair stays apart', () => {
    expect(greedyPartition(bf4096, DEFAULT_LIMITS, 1024)).toEqual([range(0, 9), [10, 11]]);
    expect(greedyPartition(programOf('monarch(order: 3)', 4096), DEFAULT_LIMITS, 1024)).toEqual([[0, 1], [2]]);
    expect(greedyPartition(programOf('monarch(nblocks: 16)', 256), DEFAULT_LIMITS, 1024)).toEqual([[0], [1]]);
    expect(runCandidates(programOf('monarch(nblocks: 16)', 256), [0, 1], DEFAULT_LIMITS).map((s) => s.family)).toEqual(expect.arrayContaining(['ks-chain-fused', 'ks-pair-fused']));
  });

  it('the untuned partition fuses only blocks too small for the tiled families (radix < 8)', () => {
    expect(defaultPartition(bf4096, DEFAULT_LIMITS)).toEqual([range(0, 9), [10, 11]]);
    expect(defaultPartition(programOf('butterfly(radix: 4)', 1024), DEFAULT_LIMITS)).toEqual([range(0, 4)]);
    expect(defaultPartition(programOf('monarch(order: 3)', 4096), DEFAULT_LIMITS)).toEqual([[0], [1], [2]]);
    expect(defaultPartition(programOf('monarch(order: 3)', 64), DEFAULT_LIMITS)).toEqual([[0, 1, 2]]);
  });

  it('prunes candidates by workgroup storage and size, and has more on a big GPU', () => {
    for (const run of [range(0, 5), range(6, 11), range(0, 11)]) {
      const ops = run.map((i) => bf4096.ops[i]);
      const small = ksChainFused.candidates(ops, DEFAULT_LIMITS);
      const big = ksChainFused.candidates(ops, BIG);
      expect(big.length).toBeGreaterThan(small.length);
      expect(big).toContainEqual(ksChainFused.defaultSchedule(ops, BIG));
      for (const s of small) expect(Number(s.workgroupSize)).toBeLessThanOrEqual(256);
    }
    // The whole 4096-element row: one row per workgroup fills the portable 16 KiB.
    expect(ksChainFused.candidates(bf4096.ops, DEFAULT_LIMITS).every((s) => s.rows === 1)).toBe(true);
  });
});

/** The default and a spread of candidates of the run [first, last] of the map, at each batch. */
async function expectRunMatches(expr: string, n: number, first: number, last: number, batches: readonly number[], samples = 2, storage: 'f32' | 'f16' = 'f32') {
  const p = programOf(expr, n);
  const ops = range(first, last).map((i) => p.ops[i]);
  const all = ksChainFused.candidates(ops, LIMITS);
  expect(all.length, `${expr} ops ${first}..${last}`).toBeGreaterThan(0);
  const schedules: KsChainSchedule[] = defaultAndSample(ksChainFused.defaultSchedule(ops, LIMITS)!, all, samples);
  for (const batch of batches)
    for (const s of schedules) {
      const err = await kernelError(asCase(p), first, ops.length, (ctx) => ksChainFused.emit(ops, s, ctx), batch, storage);
      expect(err, `${expr} ops ${first}..${last} batch ${batch} ${JSON.stringify(s)}`).toBeLessThan(storage === 'f16' ? TOL_F16 : TOL);
    }
}

describe('ks-chain-fused kernels against the float64 reference', () => {
  // Batch 13 leaves a partial row tile for every `rows` above 1. Butterfly radix 2 on 64 (the whole chain, and the
  // strided run 3..5) runs with a bias on its last op below: the same kernels plus the bias's add.
  const cases: [string, number, number, number, number[]][] = [
    ['butterfly(radix: 2)', 128, 2, 4, [1, 13]],
    ['butterfly(radix: 3)', 81, 0, 3, [13]],
    ['butterfly(radix: 3)', 81, 1, 2, [13]],
    ['butterfly(radix: 4)', 256, 0, 3, [13]],
    ['butterfly(radix: 4)', 256, 2, 3, [13]],
    ['butterfly(radix: 4, stride: decreasing)', 64, 0, 2, [13]],
    ['monarch(order: 3, radices: [3, 4, 5])', 60, 0, 2, [1, 13]],
    ['monarch(order: 3, radices: [3, 4, 5])', 60, 1, 2, [13]],
  ];
  for (const [expr, n, first, last, batches] of cases)
    it(`${expr}, n = ${n}, ops ${first}..${last}, batch ${batches.join(' and ')}`, async () => {
      await expectRunMatches(expr, n, first, last, batches);
    });

  it('the last op accumulates (lowrank + butterfly) or adds a bias (butterfly + bias: the whole radix-2 chain on 64, and its strided levels 3..5)', async () => {
    await expectRunMatches('lowrank(rank: 2) + butterfly(radix: 2)', 64, 2, 7, [5]);
    await expectRunMatches('butterfly(radix: 2) + bias()', 64, 0, 5, [1, 13]);
    await expectRunMatches('butterfly(radix: 2) + bias()', 64, 3, 5, [13]);
  });

  it('f16 modules: the fused kernels declare f16 storage, and run (f16 storage where the adapter has shader-f16, else the f32-storage fallback the build shipped) within the f16 tolerance', async () => {
    const out = compiled('map bf : 64 -> 64 = butterfly(radix: 2) + bias()\nmap m3 : 60 -> 60 = monarch(order: 3, radices: [3, 4, 5])', 'f16');
    const fused = out.manifest.maps.flatMap((m) => m.kernels).filter((k) => k.schedule.family === 'ks-chain-fused');
    expect(fused.map((k) => k.ops.length)).toEqual([6, 3]);
    expect(out.manifest.enables).toContain('f16');
    expect(out.wgsl).toMatch(/var<storage, read_write> bf_op0_dst: array<(f16|vec4<f16>)>;/);
    await expectModuleMatches(out, [1, 7], TOL_F16);
    const { device } = await nodeGpu();
    if (device.features.has('shader-f16')) {
      await expectRunMatches('butterfly(radix: 2) + bias()', 64, 0, 5, [7], 2, 'f16');
      await expectRunMatches('monarch(order: 3, radices: [3, 4, 5])', 60, 0, 2, [7], 2, 'f16');
    }
  });

  test.prop([fc.array(fc.integer({ min: 2, max: 5 }), { minLength: 2, maxLength: 4 }), fc.nat(), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 9 })], { numRuns: 6 })(
    'any run of an order-p Monarch with random radices, any candidate',
    async (radices, a, b, pick, batch) => {
      const n = radices.reduce((x, y) => x * y, 1);
      const p = programOf(`monarch(order: ${radices.length}, radices: [${radices.join(', ')}])`, n);
      const first = a % (p.ops.length - 1);
      const last = first + 1 + (b % (p.ops.length - first - 1));
      const ops = range(first, last).map((i) => p.ops[i]);
      const all = ksChainFused.candidates(ops, LIMITS);
      // Rows are the only way to fill 64 threads on tiny tiles: there is always a candidate.
      expect(all.length).toBeGreaterThan(0);
      const s = all[pick % all.length];
      const err = await kernelError(asCase(p), first, ops.length, (ctx) => ksChainFused.emit(ops, s, ctx), batch);
      expect(err, `radices ${radices} ops ${first}..${last} ${JSON.stringify(s)}`).toBeLessThan(TOL);
    },
  );
});

describe('chain fusion in the build and tuning path', () => {
  const SPEC = 'map bf : 64 -> 64 = butterfly(radix: 2)\nmap m3 : 60 -> 60 = monarch(order: 3, radices: [3, 4, 5]) + bias()';

  const entry = (adapter: AdapterIdentity, ops: readonly Op[], schedule: Schedule, ms: number): TuningEntry => ({
    adapter, compiler: MONC_VERSION, kernel: kernelSignature(ops, 'f32'), batchBucket: 16, schedule, ms, spread: 0, timed: 1, date: '2026-01-01T00:00:00.000Z',
  });

  it('untuned: fuses each map into fewer kernels than ops, and the module matches the reference', async () => {
    const out = compiled(SPEC);
    const kernels = (name: string) => out.manifest.maps.find((m) => m.name === name)!.kernels;
    expect(kernels('bf').map((k) => k.ops)).toEqual([range(0, 5)]);
    expect(kernels('bf')[0].schedule.family).toBe('ks-chain-fused');
    expect(kernels('bf')[0].bytesPerRow).toBe(2 * 64 * 4);
    expect(kernels('m3').map((k) => k.ops)).toEqual([[0, 1, 2]]);
    await expectModuleMatches(out);
  });

  it('uses a tuned run, keeps tuned single ops apart, and ignores stale or slower runs', async () => {
    const { adapter, device } = await nodeGpu();
    const identity = adapterIdentity(adapter, device);
    const bf = compiled(SPEC).programs[0];
    const run = range(0, 2);
    const ops = run.map((i) => bf.ops[i]);
    const tuned = ksChainFused.candidates(ops, DEFAULT_LIMITS).find((s) => JSON.stringify(s) !== JSON.stringify(ksChainFused.defaultSchedule(ops, DEFAULT_LIMITS)))!;
    const single = (i: number, ms: number) => entry(identity, [bf.ops[i]], defaultSchedule(bf.ops[i], DEFAULT_LIMITS), ms);
    const build = (entries: TuningEntry[]) => compiled(SPEC, 'f32', scheduleLookup(merge(emptyDb(), entries), { adapter: identity }));
    const kernelsOf = (entries: TuningEntry[]) => build(entries).manifest.maps[0].kernels.map((k) => k.ops);

    const withRun = [entry(identity, ops, tuned, 1), ...range(0, 5).map((i) => single(i, 0.5))];
    expect(kernelsOf(withRun)).toEqual([run, [3], [4], [5]]);
    const out = build(withRun);
    expect(out.manifest.maps[0].kernels[0].schedule).toEqual(tuned);
    await expectModuleMatches(out, [3]);
    // Without entries of their own, ops after the tuned run take the default partition.
    expect(kernelsOf([entry(identity, ops, tuned, 1)])).toEqual([run, [3, 4, 5]]);
    // Slower than its three ops' kernels together: the lookup refuses the run.
    expect(kernelsOf([entry(identity, ops, tuned, 2), ...range(0, 5).map((i) => single(i, 0.5))])).toEqual(range(0, 5).map((i) => [i]));
    // Stale (not a candidate): ignored, the untuned path fuses as usual.
    expect(kernelsOf([entry(identity, ops, { ...tuned, rows: 4096 }, 1)])).toEqual([range(0, 5)]);
  });

  it('the tuner returns the winning partition, which the build reproduces through the lookup', async () => {
    const { adapter, device } = await nodeGpu();
    const identity = adapterIdentity(adapter, device);
    const source = 'map bf : 16 -> 16 = butterfly(radix: 2)';
    const program = compiled(source).programs[0];
    const result = await tuneProgram(device, identity, program, { batch: 64, limits: deviceTargetLimits(device), maxCandidates: 1, repeats: 2 });
    const fusedEntries = result.kernels.filter((k) => k.ops.length > 1 && result.entries.some((e) => e.kernel === k.signature));
    // Every single op has its entry, and the runs returned do not overlap.
    expect(result.entries.length).toBe(program.ops.length + fusedEntries.length);
    const expected: number[][] = [];
    for (let i = 0; i < program.ops.length; ) {
      const run = fusedEntries.find((k) => k.ops[0] === i)?.ops ?? [i];
      expected.push([...run]);
      i += run.length;
    }
    expect(expected.flat()).toEqual(range(0, program.ops.length - 1));
    // The runs tried but not kept are retired: a database drops older entries for them.
    const lost = result.kernels.filter((k) => k.ops.length > 1 && !fusedEntries.includes(k)).map((k) => k.signature);
    expect(result.retired.map((r) => r.kernel).sort()).toEqual(lost.sort());
    const tuned = compiled(source, 'f32', scheduleLookup(merge(emptyDb(), result.entries), { adapter: identity }));
    expect(tuned.manifest.maps[0].kernels.map((k) => k.ops)).toEqual(expected);
    await expectModuleMatches(tuned, [5]);
  });
});
