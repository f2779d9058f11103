/**
 * A tuning database written by an older build may name a kernel form a later release dropped from the search (session
 * 31: ks-sgmat's `pw`, ks-dtiled wres's `ss`, both lost on the H100 in session 30). Such a record is an unusable entry
 * (files.md): the kernel takes its default schedule and the build says so on one line. It never crashes the build, and
 * never builds the form's twin without the dropped knob under the record's name (the decoders no longer read the knob).
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import { SUBGROUP_MATRIX_FEATURE } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { Schedule } from '../../src/codegen/wgsl/kernel.js';
import type { AdapterIdentity } from '../../src/tuner/adapter-identity.js';
import { emptyDb, kernelSignature, merge, serializeDb, type TuningEntry } from '../../src/tuner/db.js';
import { scheduleLookup } from '../../src/tuner/lookup.js';
import { MONC_VERSION } from '../../src/version.js';
import { cli, scratchDir } from '../cli/helpers.js';

const H100: AdapterIdentity = {
  vendor: 'nvidia', architecture: '', device: 'nvidia-h100', description: 'NVIDIA: 580',
  features: ['shader-f16', SUBGROUP_MATRIX_FEATURE, 'subgroups'],
  limits: { maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupStorageSize: 49152 },
};

interface Removed {
  readonly name: string;
  readonly source: string;
  readonly op: number;
  /** The record as session 30's build wrote it (bench/results/s30/call-2's plans time the same schedules). */
  readonly schedule: Schedule;
  readonly knob: string;
}

const REMOVED: readonly Removed[] = [
  {
    name: "ks-sgmat's pw (4096 -> 1024 f16, first factor, the untuned default's tile)",
    source: 'dtype f16\nmap m : 4096 -> 1024 = monarch(nblocks: 4)\n',
    op: 0,
    schedule: { family: 'ks-sgmat', rows: 64, cols: 32, dtile: 1, tk: 64, sg: 2, sgc: 4, ku: true, pad: 8, pw: true },
    knob: 'pw',
  },
  {
    name: "ks-dtiled wres's ss (256 -> 256 f32 with 16 blocks, strided factor)",
    source: 'map m : 256 -> 256 = monarch(nblocks: 16)\n',
    op: 1,
    schedule: { family: 'ks-dtiled', rows: 128, cols: 16, dtile: 8, tk: 16, rr: 4, rb: 4, pipeline: true, sk: 2, wres: true, ss: true },
    knob: 'ss',
  },
];

const scratch = scratchDir();
afterAll(() => scratch.remove());

function databaseOf(source: string, op: number, schedule: Schedule) {
  const program = compileModule(source, 'm.mon').programs![0];
  const entry: TuningEntry = {
    adapter: H100, compiler: MONC_VERSION, kernel: kernelSignature([program.ops[op]], program.dtype), batchBucket: 1024,
    schedule, ms: 0.1, spread: 0.01, timed: 3, date: '2026-12-08T00:08:00.000Z',
  };
  return merge(emptyDb(), [entry]);
}

describe.each(REMOVED)('a tuning record of a removed form: $name', ({ source, op, schedule, knob }) => {
  const db = databaseOf(source, op, schedule);
  const twin = { ...Object.fromEntries(Object.entries(schedule).filter(([k]) => k !== knob)), family: schedule.family };

  it('is unusable: the kernel takes its default schedule, not the record nor its twin without the knob', () => {
    const twinDb = databaseOf(source, op, twin);
    // The twin is a candidate on the record's adapter: the record names a form of the family, not a bad size.
    expect(compileModule(source, 'm.mon', { tuning: scheduleLookup(twinDb) }).outputs!.unusableTuning).toBeUndefined();
    const built = compileModule(source, 'm.mon', { tuning: scheduleLookup(db) }).outputs!;
    // A backward op of the same structure has the record's kernel too (4096 -> 1024's first factor): it is listed as well.
    expect(built.unusableTuning).toContainEqual({ map: 'm', backward: false, ops: [op], schedule });
    expect(built.unusableTuning!.every((u) => u.schedule === schedule)).toBe(true);
    const untuned = compileModule(source, 'm.mon').outputs!;
    const schedules = (o: typeof built) => o.manifest.maps[0].kernels.map((k) => k.schedule);
    expect(schedules(built)).toEqual(schedules(untuned));
  });

  it('monc build --tuning builds, exit 0, and says so on one line', async () => {
    const spec = scratch.path(`${knob}.mon`);
    const path = scratch.path(`${knob}.json`);
    writeFileSync(spec, source);
    writeFileSync(path, serializeDb(db));
    const run = await cli(['build', spec, '--out', scratch.path(`out-${knob}`), '--tuning', path]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.split('\n')).toEqual([expect.stringMatching(/^monc: /), '']);
    expect(run.stderr).toMatch(new RegExp(`^monc: ${path}: (1 schedule is|\\d+ schedules are) not valid for the kernels? of ${spec} `));
    expect(run.stderr).toContain(`(map 'm' ops [${op}]: ${JSON.stringify(schedule)}`);
    // Named as a form this monc no longer has (QA1 s31 Q1001: it was called hand-edited or damaged only).
    expect(run.stderr).toMatch(/default schedules? \(a form this monc no longer has, or a hand-edited or damaged entry: re-run monc tune\)\n$/);
  });
});
