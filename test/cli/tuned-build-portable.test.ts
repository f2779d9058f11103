/**
 * `monc build --tuning DB.json` with a database tuned on a larger adapter (a desktop GPU: 1024
 * invocations, 48 KiB) whose entry puts a Monarch's second factor on a 512-invocation schedule:
 * the written manifest lists the tuned set, then the portable one, and the files as written run
 * on this adapter (SwiftShader: 256 invocations) through MapRunner with the portable set, against
 * the float64 reference (relative Frobenius error 1e-5, f32).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { compileKernels } from '../../src/compile-kernels.js';
import { DEFAULT_LIMITS } from '../../src/codegen/wgsl/index.js';
import { paramsOf } from '../../src/dsl/params.js';
import type { Manifest } from '../../src/manifest/types.js';
import { initParams } from '../../src/runtime/init.js';
import { MapRunner } from '../../src/runtime/node.js';
import type { AdapterIdentity } from '../../src/tuner/adapter-identity.js';
import { emptyDb, kernelSignature, serializeDb, type TuningEntry } from '../../src/tuner/db.js';
import { MONC_VERSION } from '../../src/version.js';
import { getTestDevice } from '../support/gpu.js';
import { scheduleBeyond } from '../support/kernel-sets.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
import { cli, scratchDir } from './helpers.js';

const SOURCE = 'module desk\nmap up : 48 -> 80 = monarch(nblocks: 4)\n';
const DESKTOP: AdapterIdentity = {
  vendor: 'example',
  architecture: 'desktop',
  device: '',
  description: 'a desktop GPU',
  features: ['timestamp-query'],
  limits: { maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupStorageSize: 49152 },
};

describe('monc build --tuning with a database tuned on a larger adapter', () => {
  const scratch = scratchDir();
  afterAll(() => scratch.remove());

  it('writes tuned then portable kernel sets, and the build runs here on the portable set', async () => {
    const compiled = compileKernels(SOURCE, 'desk.mon');
    const op = compiled.programs![0].ops[1];
    const schedule = scheduleBeyond(op, { ...DEFAULT_LIMITS, maxWorkgroupSize: 512 }, DEFAULT_LIMITS);
    const entry: TuningEntry = { adapter: DESKTOP, compiler: MONC_VERSION, kernel: kernelSignature([op], 'f32'), batchBucket: 64, schedule, ms: 0.01, spread: 0.01, timed: 100, date: '2026-12-01T00:00:00.000Z' };
    const db = scratch.path('db.json');
    const spec = scratch.path('desk.mon');
    writeFileSync(db, serializeDb({ ...emptyDb(), entries: [entry] }));
    writeFileSync(spec, SOURCE);

    const out = scratch.path('gen');
    const r = await cli(['build', spec, '--out', out, '--tuning', db]);
    expect(r.code, r.stderr).toBe(0);
    const manifest: Manifest = JSON.parse(readFileSync(`${out}/desk.json`, 'utf8'));
    const map = manifest.maps[0];
    expect(map.kernels[1].schedule).toEqual(schedule);
    // The portable set needs what its largest kernel needs: within WebGPU's default 256 invocations
    // (128 since session 12, when this map's d = 4 factor took ks-dtiled's 128-invocation form).
    expect(map.kernelSets!.map((s) => s.name)).toEqual(['tuned', 'portable']);
    expect(map.kernelSets![0].requires.maxComputeInvocationsPerWorkgroup).toBe(512);
    expect(map.kernelSets![1].requires.maxComputeInvocationsPerWorkgroup).toBeLessThanOrEqual(DEFAULT_LIMITS.maxWorkgroupSize);

    const runner = await MapRunner.create(map, readFileSync(`${out}/desk.wgsl`, 'utf8'), { device: await getTestDevice() });
    try {
      expect(runner.kernelSet?.name).toBe('portable');
      const structure = compiled.module!.maps[0].structure;
      const params = initParams(paramsOf(structure), 2);
      runner.loadParams(params);
      const x = randomArray(9 * 48, rng(9));
      expect(relativeError(await runner.forward(x, 9), referenceApply(structure, params, x, 9))).toBeLessThan(1e-5);
    } finally {
      runner.destroy();
    }
  });
});
