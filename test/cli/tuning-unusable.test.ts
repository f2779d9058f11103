/**
 * A tuning database entry whose schedule is not valid for the kernel it names (hand-edited or
 * damaged: a workgroup size no family has) is not used, and the build says so on one line instead
 * of building the default kernel without a word; a valid entry is used and nothing is said.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import { candidates, DEFAULT_LIMITS } from '../../src/codegen/wgsl/index.js';
import { emptyDb, kernelSignature, merge, serializeDb, type TuningEntry } from '../../src/tuner/db.js';
import { adapterIdentity, type AdapterIdentity } from '../../src/tuner/adapter-identity.js';
import { getTestMoncDevice } from '../support/gpu.js';
import { scheduleLookup } from '../../src/tuner/lookup.js';
import { MONC_VERSION } from '../../src/version.js';
import { compileMonFile } from '../../src/plugin/compile-mon.js';
import { loadTuningDb } from '../../src/node/tuning-db.js';
import { cli, cliJson, scratchDir } from './helpers.js';

const SOURCE = 'map m : 32 -> 32 = blockdiag(nblocks: 4)\n';
const GPU: AdapterIdentity = {
  vendor: 'nvidia', architecture: '', device: 'nvidia-h100', description: 'NVIDIA: 580',
  features: ['shader-f16'], limits: { maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupStorageSize: 49152 },
};
const scratch = scratchDir();
afterAll(() => scratch.remove());
const spec = scratch.path('m.mon');
writeFileSync(spec, SOURCE);

const op = compileModule(SOURCE, 'm.mon').programs![0].ops[0];
const valid = candidates(op, DEFAULT_LIMITS).at(-1)!;
const entry = (schedule: TuningEntry['schedule']): TuningEntry => ({
  adapter: GPU, compiler: MONC_VERSION, kernel: kernelSignature([op], 'f32'), batchBucket: 1024, schedule, ms: 0.1, spread: 0.01, timed: 3, date: '2026-01-01T00:00:00.000Z',
});
const database = (schedule: TuningEntry['schedule']) => serializeDb(merge(emptyDb(), [entry(schedule)]));

describe('a tuned schedule the build cannot use', () => {
  const invalid = { ...valid, workgroupSize: 100000 };

  it('compileModule lists it and builds the default kernel', () => {
    const built = compileModule(SOURCE, 'm.mon', { tuning: scheduleLookup(merge(emptyDb(), [entry(invalid)])) });
    expect(built.outputs!.unusableTuning).toEqual([{ map: 'm', backward: false, ops: [0], schedule: invalid }]);
    expect(built.outputs!.manifest.maps[0].kernels[0].schedule).not.toEqual(invalid);
  });

  it('monc build --tuning says so on one line, exit 0; a valid entry is used without a word', async () => {
    writeFileSync(scratch.path('bad.json'), database(invalid));
    const bad = await cli(['build', spec, '--out', scratch.path('o1'), '--tuning', scratch.path('bad.json')]);
    expect(bad.code).toBe(0);
    expect(bad.stderr).toBe(`monc: ${scratch.path('bad.json')}: 1 schedule is not valid for the kernel of ${spec} it names (map 'm' ops [0]: ${JSON.stringify(invalid)}): that kernel takes its default schedule (a form this monc no longer has, or a hand-edited or damaged entry: re-run monc tune)\n`);

    writeFileSync(scratch.path('good.json'), database(valid));
    const good = await cli(['build', spec, '--out', scratch.path('o2'), '--tuning', scratch.path('good.json')]);
    expect(good.code).toBe(0);
    expect(good.stderr).toBe('');
    expect(compileModule(SOURCE, 'm.mon', { tuning: scheduleLookup(merge(emptyDb(), [entry(valid)])) }).outputs!.unusableTuning).toBeUndefined();
  });

  it('--json carries them too: build lists them per module, bench in its object', async () => {
    writeFileSync(scratch.path('bad.json'), database(invalid));
    const built = await cliJson(['build', spec, '--out', scratch.path('o3'), '--tuning', scratch.path('bad.json')]);
    expect(built.modules[0].unusableTuning).toEqual([{ map: 'm', backward: false, ops: [0], schedule: invalid }]);
    writeFileSync(scratch.path('good.json'), database(valid));
    expect(await cliJson(['build', spec, '--out', scratch.path('o4'), '--tuning', scratch.path('good.json')])).not.toHaveProperty('modules.0.unusableTuning');

    // bench takes the entries of the adapter it runs on.
    const { adapter, device } = await getTestMoncDevice();
    writeFileSync(scratch.path('here.json'), serializeDb(merge(emptyDb(), [{ ...entry(invalid), adapter: adapterIdentity(adapter, device) }])));
    const benched = await cliJson(['bench', spec, '--map', 'm', '--batch', '4', '--repeats', '1', '--tuning', scratch.path('here.json')]);
    expect(benched.unusableTuning).toEqual([{ map: 'm', backward: false, ops: [0], schedule: invalid }]);
  });

  it('monc tune --db drops them from the database it rewrites, and says so; entries it cannot judge stay', async () => {
    // Another batch bucket than the one tuned (so no new entry replaces it), and a kernel this spec does not have.
    const foreign = { ...entry({ ...valid, workgroupSize: 100000 }), kernel: '{"storage":"f32","ops":[]}' };
    const path = scratch.path('tune.json');
    // And an entry of another monc version: 'not used' at the load, 'dropped' by the save (REV29-3).
    const db = JSON.parse(serializeDb(merge(emptyDb(), [entry(invalid), foreign])));
    writeFileSync(path, JSON.stringify({ ...db, entries: [...db.entries, { ...entry(valid), compiler: '0.0.9' }] }));
    const tuned = await cli(['tune', spec, '--batch', '4', '--max-candidates', '1', '--forward-only', '--db', path, '--json']);
    expect(tuned.code, tuned.stderr).toBe(0);
    expect(JSON.parse(tuned.stdout).droppedUnusable).toBe(1);
    // The save's one note: the other version's entry, then the unusable one.
    expect(tuned.stderr).toContain(`tuning database ${path}: 1 entry of other monc versions (0.0.9) dropped: tuned schedules are valid for the compiler that measured them (re-run monc tune); 1 entry dropped whose schedule is not valid for the kernel it names (a form this monc no longer has, or a hand-edited or damaged entry: a build would not use it)`);
    const versions = tuned.stderr.split('\n').filter((l) => l.includes('of other monc versions (0.0.9)'));
    expect(versions.map((l) => / \(0\.0\.9\) (not used|dropped)/.exec(l)?.[1])).toEqual(['not used', 'dropped']);
    const kept = loadTuningDb(path).db.entries;
    expect(kept.some((e) => e.batchBucket === 1024 && e.kernel === entry(invalid).kernel)).toBe(false);
    expect(kept).toContainEqual(foreign);
    expect(kept.length).toBe(2); // the tuned kernel's new entry, and the foreign one
  });

  it('the bundler plugins warn the same line', () => {
    const result = compileMonFile(spec, { runtimeImport: 'monc/runtime', tuning: scheduleLookup(merge(emptyDb(), [entry(invalid)])), tuningPath: 'tuning.json' });
    expect(result.ok).toBe(true);
    expect(result.warnings).toContain(`tuning.json: 1 schedule is not valid for the kernel of ${spec} it names (map 'm' ops [0]: ${JSON.stringify(invalid)}): that kernel takes its default schedule (a form this monc no longer has, or a hand-edited or damaged entry: re-run monc tune)`);
  });
});
