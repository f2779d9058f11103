/**
 * unusableEntries judges an entry as a build does: for a kernel of the programs (an op, a fusable
 * run, a backward op) a schedule among its candidates at the entry's adapter limits is usable and
 * any other is not; an entry of a kernel the programs do not have is never called unusable.
 */
import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import { backwardCandidates } from '../../src/codegen/wgsl/backward-program.js';
import { candidates, fusableRuns, runCandidates } from '../../src/codegen/wgsl/families.js';
import { isAmong } from '../../src/codegen/wgsl/family.js';
import { compileBackward } from '../../src/ir/pipeline.js';
import { adapterTargetLimits, type AdapterIdentity } from '../../src/tuner/adapter-identity.js';
import { kernelSignature, type TuningEntry } from '../../src/tuner/db.js';
import { unusableEntries } from '../../src/tuner/unusable-entries.js';
import { MONC_VERSION } from '../../src/version.js';

const GPU: AdapterIdentity = {
  vendor: 'nvidia', architecture: '', device: 'nvidia-h100', description: 'NVIDIA: 580',
  features: ['shader-f16'], limits: { maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupStorageSize: 49152 },
};
const limits = adapterTargetLimits(GPU);
// Two monarch factors (a fusable run) and a bias, on a non-power-of-two size.
const forward = compileModule('map m : 48 -> 48 = monarch(nblocks: 4) + bias()\n', 'm.mon').programs![0];
const backward = compileBackward(forward);
const unusable = unusableEntries([{ forward, backward }]);
const entry = (kernel: string, schedule: TuningEntry['schedule']): TuningEntry => ({
  adapter: GPU, compiler: MONC_VERSION, kernel, batchBucket: 64, schedule, ms: 0.1, spread: 0.01, timed: 3, date: '2026-01-01T00:00:00.000Z',
});

describe('unusableEntries', () => {
  it('an op: its candidates are usable; a workgroup size no family has, or another op kind\'s family, is not', () => {
    const op = forward.ops[0];
    const kernel = kernelSignature([op], forward.dtype);
    for (const s of candidates(op, limits)) expect(unusable(entry(kernel, s))).toBe(false);
    const valid = candidates(op, limits)[0];
    expect(unusable(entry(kernel, { ...valid, workgroupSize: 100000 }))).toBe(true);
    expect(unusable(entry(kernel, { family: 'bias-add' }))).toBe(true);
  });

  it('a fusable run and a backward op', () => {
    const run = fusableRuns(forward)[0];
    expect(run.length).toBeGreaterThan(1);
    const runKernel = kernelSignature(run.map((j) => forward.ops[j]), forward.dtype);
    const runSchedule = runCandidates(forward, run, limits)[0];
    expect(unusable(entry(runKernel, runSchedule))).toBe(false);
    expect(unusable(entry(runKernel, { ...runSchedule, workgroupSize: 7 }))).toBe(true);

    const op = backward.ops[0];
    const kernel = kernelSignature([op], forward.dtype);
    const schedule = backwardCandidates(op, limits)[0];
    expect(unusable(entry(kernel, schedule))).toBe(false);
    expect(unusable(entry(kernel, { ...schedule, family: 'no-such-family' }))).toBe(true);
  });

  it('judged at the entry\'s adapter limits; a kernel the programs lack is never unusable', () => {
    const op = forward.ops[0];
    const kernel = kernelSignature([op], forward.dtype);
    const small: AdapterIdentity = { ...GPU, limits: { ...GPU.limits, maxComputeInvocationsPerWorkgroup: 64, maxComputeWorkgroupStorageSize: 4096 } };
    const onlyBig = candidates(op, limits).find((s) => !isAmong(s, candidates(op, adapterTargetLimits(small))));
    expect(onlyBig).toBeDefined();
    expect(unusable(entry(kernel, onlyBig!))).toBe(false);
    expect(unusable({ ...entry(kernel, onlyBig!), adapter: small })).toBe(true);
    expect(unusable(entry('{"storage":"f32","ops":[]}', { family: 'no-such-family' }))).toBe(false);
    // Another storage type is another kernel.
    expect(unusable(entry(kernelSignature([op], 'f16'), { family: 'no-such-family' }))).toBe(false);
  });
});
