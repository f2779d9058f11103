/**
 * A tuned build's kernel without a usable database entry (a form a later monc removed, or none at
 * all) takes the kernel of the set the tuned set stands in for on the adapters that run it: the
 * tensor-core set's where the tuned set needs subgroup matrices (QA2 s18 R74: an H100 database
 * whose strided entry says `wres: false` put the portable ks-dvec in the `tuned` set the H100
 * takes first, 0.493 vs 0.243 ms), the large set's for f32 beyond the default limits. The
 * unusable entry is still reported.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileKernels } from '../../src/compile-kernels.js';
import { compileMap } from '../../src/ir/pipeline.js';
import { checkSource } from '../../src/dsl/index.js';
import { untunedForwardSets } from '../../src/compile-kernels.js';
import { emptyDb, kernelSignature, merge, parseDb, type TuningDb, type TuningEntry } from '../../src/tuner/db.js';
import { MONC_VERSION } from '../../src/version.js';
import { candidates, isValidSchedule } from '../../src/codegen/wgsl/families.js';
import { DEFAULT_LIMITS } from '../../src/codegen/wgsl/kernel.js';
import { adapterTargetLimits } from '../../src/tuner/adapter-identity.js';
import { scheduleLookup } from '../../src/tuner/lookup.js';

// GPU-1's own H100 database (s18 call 1): op1 ks-sgmat-strided (wres), op0 ks-sgmat.
const parsed = parseDb(readFileSync(new URL('../../bench/results/s18/call-1/cli/db.json', import.meta.url), 'utf8'));
if ('error' in parsed) throw new Error(parsed.error);
const h100 = parsed.db;
const strided = (e: TuningEntry) => e.schedule.family === 'ks-sgmat-strided';
const withEntries = (entries: readonly TuningEntry[]): TuningDb => ({ ...h100, entries });

// A set's forward kernels: its own list, or the map's (the module's own kernels, as the tuned set is).
const build = (source: string, db: TuningDb) => {
  const { outputs } = compileKernels(source, 'm.mon', { tuning: scheduleLookup(db), forwardOnly: true });
  const map = outputs!.manifest.maps[0];
  const kernels = (name: string) => {
    const set = map.kernelSets!.find((s) => s.name === name);
    return set && (set.kernels ?? map.kernels);
  };
  return { outputs: outputs!, names: map.kernelSets!.map((s) => s.name), kernels, families: (name: string) => kernels(name)?.map((k) => k.schedule.family) };
};

describe('a tuned kernel without a usable entry', () => {
  const f16 = 'module m\ndtype f16\nmap m : 4096 -> 4096 = monarch(nblocks: 64)\n';

  it('the whole H100 database: both kernels tuned', () => {
    const { families } = build(f16, h100);
    expect(families('tuned')).toEqual(['ks-sgmat', 'ks-sgmat-strided']);
  });

  it("an entry of a removed form (wres: false): the tensor-core set's kernel, and the entry is reported", () => {
    const db = withEntries(h100.entries.map((e) => (strided(e) ? { ...e, schedule: { ...e.schedule, wres: false } } : e)));
    const { families, kernels, outputs, names } = build(f16, db);
    expect(families('tuned')).toEqual(['ks-sgmat', 'ks-sgmat-strided']);
    expect(kernels('tuned')![1].schedule).toEqual(kernels('tensor-core')![1].schedule);
    expect(outputs.unusableTuning?.map((u) => u.ops)).toEqual([[1]]);
    // The tensor-core set needs 1024 invocations (n = 4096's read-once strided factor): its 512-invocation twin follows (REV s19 3).
    expect(names).toEqual(['tuned', 'tensor-core', 'tensor-core', 'portable', 'f32-storage']);
  });

  it("no entry for one kernel: the tensor-core set's kernel", () => {
    const { families, kernels } = build(f16, withEntries(h100.entries.filter((e) => !strided(e))));
    expect(families('tuned')).toEqual(['ks-sgmat', 'ks-sgmat-strided']);
    expect(kernels('tuned')![1].schedule).toEqual(kernels('tensor-core')![1].schedule);
  });

  it("f32, tuned beyond the portable limits on the H100, one kernel without an entry: the large set's kernel", () => {
    const f32 = 'module m\nmap m : 4096 -> 4096 = monarch(nblocks: 64)\n';
    const program = compileMap(checkSource(f32, 'm.mon').module!.maps[0], 'f32');
    const [large, portable] = untunedForwardSets(program);
    expect([large.name, portable.name]).toEqual(['large', 'portable']);
    // The first factor tuned to a schedule beyond the portable limits, the second without an entry.
    const beyond = candidates(program.ops[0], adapterTargetLimits(h100.entries[0].adapter)).find((c) => !isValidSchedule(program.ops[0], c, DEFAULT_LIMITS))!;
    const entry: TuningEntry = { ...h100.entries[0], compiler: MONC_VERSION, kernel: kernelSignature([program.ops[0]], 'f32'), schedule: beyond };
    const { families, kernels } = build(f32, merge(emptyDb(), [entry]));
    expect(kernels('tuned')![1].schedule).toEqual(large.kernels![1].schedule);
    expect(large.kernels![1].schedule).not.toEqual(portable.kernels![1].schedule);
    expect(kernels('tuned')![0].schedule).toEqual(beyond);
  });
});
