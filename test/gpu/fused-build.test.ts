/**
 * Fusion in the build path: a tuning database entry for a Monarch pair's kernel signature makes
 * `compileModule` emit ONE kernel for both ops (manifest `ops: [0, 1]`), and the module it writes
 * runs on the test adapter and matches the float64 reference (SPEC §6: 1e-5 for f32, 3e-3 for
 * f16, which runs with f32 storage on adapters without shader-f16). Stale or slower fused entries
 * are ignored; without tuning the Monarch pair does not fuse (the goldens pin those outputs).
 */
import { describe, expect, it } from 'vitest';
import { compileModule, type TuningLookup } from '../../src/compile.js';
import { DEFAULT_LIMITS, fusableRuns, runCandidates, runFamilyDefaults, type Schedule } from '../../src/codegen/wgsl/index.js';
import { paramsOf } from '../../src/dsl/params.js';
import type { Program } from '../../src/ir/ir.js';
import { deviceTargetLimits } from '../../src/runtime/device.js';
import { initParams } from '../../src/runtime/init.js';
import { MapRunner } from '../../src/runtime/node.js';
import { adapterIdentity, type AdapterIdentity } from '../../src/tuner/adapter-identity.js';
import { emptyDb, kernelSignature, merge, type TuningEntry } from '../../src/tuner/db.js';
import { scheduleLookup } from '../../src/tuner/lookup.js';
import { MONC_VERSION } from '../../src/version.js';
import { getTestMoncDevice } from '../support/gpu.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
import { kernelSetOf } from '../support/kernel-sets.js';

const source = (dtype: 'f32' | 'f16') => `module fz
dtype ${dtype}
map up   : 64 -> 48 = monarch(nblocks: 4)
map down : 48 -> 48 = monarch(nblocks: 4) + bias()
`;

function entry(adapter: AdapterIdentity, ops: Program['ops'], dtype: string, schedule: Schedule, ms: number): TuningEntry {
  return { adapter, compiler: MONC_VERSION, kernel: kernelSignature(ops, dtype), batchBucket: 16, schedule, ms, spread: 0, timed: 1, date: '2026-01-01T00:00:00.000Z' };
}

function compile(dtype: 'f32' | 'f16', tuning?: TuningLookup) {
  const result = compileModule(source(dtype), 'fz.mon', tuning ? { tuning } : {});
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { ...result.outputs!, programs: result.programs!, module: result.module! };
}

/** The test device's identity and limits, and for each map the fused schedule the database gives its pair (not the default one). */
async function setup(dtype: 'f32' | 'f16') {
  const { adapter, device } = await getTestMoncDevice();
  const identity = adapterIdentity(adapter, device);
  const limits = deviceTargetLimits(device);
  const { programs } = compile(dtype);
  const fused = programs.map((p) => {
    expect(fusableRuns(p), p.name).toEqual([[0, 1]]);
    const [def] = runFamilyDefaults(p, [0, 1], limits);
    const schedule = runCandidates(p, [0, 1], limits).find((s) => JSON.stringify(s) !== JSON.stringify(def))!;
    return { program: p, schedule };
  });
  return { device, identity, limits, fused };
}

async function expectMatchesReference(dtype: 'f32' | 'f16', outputs: ReturnType<typeof compile>, device: GPUDevice, tol: number) {
  for (const checked of outputs.module.maps) {
    const map = outputs.manifest.maps.find((m) => m.name === checked.name)!;
    const runner = await MapRunner.create(map, outputs.wgsl, { device, dtype });
    try {
      const params = initParams(paramsOf(checked.structure), 3);
      runner.loadParams(params);
      for (const batch of [1, 7]) {
        const x = randomArray(batch * checked.in, rng(batch + 1));
        const y = await runner.forward(x, batch);
        expect(relativeError(y, referenceApply(checked.structure, params, x, batch)), `${checked.name}, batch ${batch}`).toBeLessThan(tol);
      }
    } finally {
      runner.destroy();
    }
  }
}

describe('a tuned fused schedule in the build', () => {
  it('emits one kernel for the Monarch pair, which matches the float64 reference', async () => {
    const { device, identity, fused } = await setup('f32');
    const db = merge(emptyDb(), fused.map(({ program, schedule }) => entry(identity, program.ops.slice(0, 2), 'f32', schedule, 1)));
    const tuned = compile('f32', scheduleLookup(db, { adapter: identity }));

    for (const { program, schedule } of fused) {
      const map = tuned.manifest.maps.find((m) => m.name === program.name)!;
      expect(map.kernels[0]).toMatchObject({ entryPoint: `${program.name}_op0`, ops: [0, 1], src: 'x', dst: program.ops[1].dst, schedule });
      expect(map.kernels.map((k) => k.ops)).toEqual([[0, 1], ...program.ops.slice(2).map((_, i) => [i + 2])]);
      // The intermediate never reaches memory: the fused kernel's bytes are the input and output only.
      expect(map.kernels[0].bytesPerRow).toBe((program.in + program.out) * 4);
    }
    expect(tuned.wgsl).not.toContain('up_op1');
    await expectMatchesReference('f32', tuned, device, 1e-5);
  });

  it('also fuses the f16 module and its f32-storage fallback (what runs without shader-f16)', async () => {
    const { device, identity, fused } = await setup('f16');
    const db = merge(emptyDb(), fused.map(({ program, schedule }) => entry(identity, program.ops.slice(0, 2), 'f16', schedule, 1)));
    const tuned = compile('f16', scheduleLookup(db, { adapter: identity }));
    expect(tuned.manifest.maps.every((m) => m.kernels[0].ops.join() === '0,1')).toBe(true);
    expect(tuned.manifest.maps.every((m) => kernelSetOf(m, 'f32-storage').kernels![0].ops.join() === '0,1')).toBe(true);
    await expectMatchesReference('f16', tuned, device, 3e-3);
  });

  it('leaves the pair unfused when the separate kernels were faster, or when the schedule is stale', async () => {
    const { identity, fused } = await setup('f32');
    const [{ program, schedule }] = fused;
    const untuned = compile('f32');
    const single = (i: number, ms: number) => entry(identity, [program.ops[i]], 'f32', untuned.manifest.maps[0].kernels[i].schedule, ms);
    const pair = (s: Schedule, ms: number) => entry(identity, program.ops.slice(0, 2), 'f32', s, ms);
    const kernelsOf = (db: ReturnType<typeof emptyDb>) => compile('f32', scheduleLookup(db, { adapter: identity })).manifest.maps[0].kernels.map((k) => k.ops);

    expect(kernelsOf(merge(emptyDb(), [pair(schedule, 1.0), single(0, 0.4), single(1, 0.7)]))).toEqual([[0, 1]]);
    expect(kernelsOf(merge(emptyDb(), [pair(schedule, 1.0), single(0, 0.4), single(1, 0.5)]))).toEqual([[0], [1]]);
    // A schedule that is not among the pair's candidates (stale: from another compiler, say) is ignored.
    expect(kernelsOf(merge(emptyDb(), [pair({ ...schedule, rows: 4096 }, 1.0)]))).toEqual([[0], [1]]);
  });

  it('judges a tuned schedule by the limits of the adapter it was tuned on, not the portable defaults', async () => {
    const { identity } = await setup('f32');
    // Large enough that some fused schedules need more than the portable limits.
    const bigSource = 'module big\nmap m : 1024 -> 1024 = monarch(nblocks: 32)\n';
    const program = compileModule(bigSource, 'big.mon').programs![0];
    const bigLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };
    const portable = runCandidates(program, [0, 1], DEFAULT_LIMITS).map((s) => JSON.stringify(s));
    const onlyBig = runCandidates(program, [0, 1], bigLimits).find((s) => !portable.includes(JSON.stringify(s)))!;
    expect(onlyBig).toBeDefined();
    const bigAdapter = { ...identity, limits: { ...identity.limits, maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupStorageSize: 49152 } };
    const small = { ...identity, limits: { ...identity.limits, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupStorageSize: 16384 } };
    const kernelsWith = (adapter: AdapterIdentity) => {
      const tuning = scheduleLookup(merge(emptyDb(), [entry(adapter, program.ops.slice(0, 2), 'f32', onlyBig, 1)]));
      return compileModule(bigSource, 'big.mon', { tuning }).outputs!.manifest.maps[0].kernels;
    };
    expect(kernelsWith(bigAdapter)[0]).toMatchObject({ ops: [0, 1], schedule: onlyBig });
    // The same entry claiming an adapter too small for it is stale.
    expect(kernelsWith(small).map((k) => k.ops)).toEqual([[0], [1]]);
  });
});
