/**
 * `monc bench --tuning DB` uses only the database's entries for the adapter it runs on. A
 * database tuned elsewhere (copied from the GPU box) therefore times the default schedules: bench
 * says so on stderr, in its text and in `--json` (`tuningEntries`), instead of timing other
 * kernels than a build with that database emits, silently. `monc build --tuning DB` (no GPU) takes
 * the entries of the adapter tuned most recently: `--json` names it (`tuningAdapter`), and stderr
 * too when the database holds several adapters. `monc bench --batch B` whose bucket has none of
 * this adapter's entries times what a build from the database emits (its largest bucket), with a
 * note, not the default schedules.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { adapterIdentity, type AdapterIdentity } from '../../src/tuner/adapter-identity.js';
import { DB_FORMAT, DB_VERSION, kernelSignature, type TuningEntry } from '../../src/tuner/db.js';
import { compileModule } from '../../src/compile.js';
import { candidates, defaultSchedule } from '../../src/codegen/wgsl/families.js';
import { DEFAULT_LIMITS } from '../../src/codegen/wgsl/kernel.js';
import { isAmong } from '../../src/codegen/wgsl/family.js';
import { MONC_VERSION } from '../../src/version.js';
import { getTestMoncDevice } from '../support/gpu.js';
import { cli, cliJson, scratchDir } from './helpers.js';

const scratch = scratchDir();
const spec = scratch.path('b.mon');
writeFileSync(spec, 'map a : 48 -> 48 = monarch(nblocks: 4) + bias()\n');
afterAll(() => scratch.remove());

// As Dawn describes the H200 (session 3's database).
const H200: AdapterIdentity = {
  vendor: 'nvidia',
  architecture: '',
  device: 'nvidia-h200',
  description: 'NVIDIA: 580.159.04 580.159.4.0',
  features: ['chromium-experimental-subgroup-matrix', 'shader-f16', 'subgroups', 'timestamp-query'],
  limits: { maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupStorageSize: 49152, subgroupMinSize: 32, subgroupMaxSize: 32 },
};

/** A database of one entry per adapter, dated in that order (its kernel is no kernel of the spec: only whose entry it is matters here). */
function database(name: string, ...adapters: AdapterIdentity[]): string {
  const entries: TuningEntry[] = adapters.map((adapter, i) => ({ adapter, compiler: MONC_VERSION, kernel: '{"storage":"f32","ops":[]}', batchBucket: 64, schedule: { family: 'ks-direct' }, ms: 0.01, spread: 0.01, timed: 3, date: `2026-12-0${i + 1}T00:00:00.000Z` }));
  const path = scratch.path(name);
  writeFileSync(path, JSON.stringify({ format: DB_FORMAT, version: DB_VERSION, entries }));
  return path;
}

describe('monc bench --tuning with a database of another adapter', () => {
  it('says it has no entries for this adapter and times the default schedules (stderr, text, --json)', async () => {
    const db = database('h200.json', H200);
    const args = ['bench', spec, '--map', 'a', '--batch', '8', '--repeats', '3', '--tuning', db];
    const r = await cli(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`monc: ${db}: no entries for this adapter (entries for nvidia nvidia-h200 (NVIDIA: 580.159.04 580.159.4.0)): timing the default schedules`);
    expect(r.stdout).toMatch(new RegExp(`^tuning: ${db.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, no entries for this adapter \\(the default schedules\\)$`, 'm'));
    const out = await cliJson(args);
    expect(out).toMatchObject({ tuning: db, tuningEntries: 0, kernelSet: 'portable' });
    expect(out.kernels.every((k: { tuned: boolean }) => !k.tuned)).toBe(true);
  });

  it("counts this adapter's entries, with no note, when it has some", async () => {
    const { adapter, device } = await getTestMoncDevice();
    const db = database('here.json', adapterIdentity(adapter, device));
    const r = await cli(['bench', spec, '--map', 'a', '--batch', '8', '--repeats', '3', '--tuning', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('no entries for this adapter');
    expect(JSON.parse(r.stdout)).toMatchObject({ tuning: db, tuningEntries: 1 });
  });
});

describe('monc bench --batch B with this adapter\'s entries for other batches only', () => {
  it('times what a build from the database emits (its largest bucket), and says so, not the defaults', async () => {
    const { adapter, device } = await getTestMoncDevice();
    const op = compileModule('map a : 48 -> 48 = monarch(nblocks: 4) + bias()\n', spec).programs![0]!.ops[0]!;
    const schedule = candidates(op, DEFAULT_LIMITS).filter((c) => !isAmong(c, [defaultSchedule(op, DEFAULT_LIMITS)])).at(-1)!;
    const entry: TuningEntry = { adapter: adapterIdentity(adapter, device), compiler: MONC_VERSION, kernel: kernelSignature([op], 'f32'), batchBucket: 4, schedule, ms: 0.01, spread: 0.01, timed: 3, date: '2026-12-01T00:00:00.000Z' };
    const db = scratch.path('bucket4.json');
    writeFileSync(db, JSON.stringify({ format: DB_FORMAT, version: DB_VERSION, entries: [entry] }));
    const r = await cli(['bench', spec, '--map', 'a', '--batch', '16', '--repeats', '3', '--tuning', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`monc: ${db}: no entries for batch 16 (bucket 16; this adapter's are for batches up to 4): timing the schedules a build takes from it (the largest bucket's)`);
    const out = JSON.parse(r.stdout);
    const first = out.kernels.find((k: { ops: number[] }) => k.ops.length === 1 && k.ops[0] === 0);
    expect(first).toMatchObject({ tuned: true });
    expect(isAmong(first.schedule, [schedule])).toBe(true);
  });
});

describe('monc build --tuning names the adapter whose schedules it took', () => {
  it('in --json always; on stderr when the database holds several adapters (the most recently tuned one)', async () => {
    const { adapter, device } = await getTestMoncDevice();
    const here = adapterIdentity(adapter, device);
    const one = database('one.json', H200);
    const r1 = await cli(['build', spec, '--out', scratch.path('g1'), '--tuning', one, '--json']);
    expect(r1.code, r1.stderr).toBe(0);
    expect(JSON.parse(r1.stdout)).toMatchObject({ tuning: one, tuningAdapter: 'nvidia nvidia-h200 (NVIDIA: 580.159.04 580.159.4.0)' });
    expect(r1.stderr).not.toContain('adapters in it');
    const two = database('two.json', here, H200);
    const r2 = await cli(['build', spec, '--out', scratch.path('g2'), '--tuning', two, '--json']);
    expect(r2.code, r2.stderr).toBe(0);
    expect(JSON.parse(r2.stdout).tuningAdapter).toBe('nvidia nvidia-h200 (NVIDIA: 580.159.04 580.159.4.0)');
    expect(r2.stderr).toContain(`monc: ${two}: the schedules tuned on nvidia nvidia-h200 (NVIDIA: 580.159.04 580.159.4.0) (of 2 adapters in it, the one tuned most recently)`);
  });
});
