/** Tests' access to a manifest map's kernel sets (manifest `kernelSets`), the older manifest form, and fake tuning databases. */
import type { TuningLookup } from '../../src/compile-kernels.js';
import { backwardCandidates } from '../../src/codegen/wgsl/backward-program.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import type { Schedule, TargetLimits } from '../../src/codegen/wgsl/index.js';
import type { BackwardOp } from '../../src/ir/ir.js';
import type { KernelSetName, ManifestKernelSet, ManifestMap } from '../../src/manifest/types.js';

/** The map's kernel set `name`; a test failure when the build did not emit it. */
export function kernelSetOf(map: ManifestMap, name: KernelSetName): ManifestKernelSet {
  const set = map.kernelSets?.find((s) => s.name === name);
  if (!set) throw new Error(`map '${map.name}' has no '${name}' kernel set (it has ${map.kernelSets?.map((s) => s.name).join(', ') ?? 'none'})`);
  return set;
}

/** The f32-storage set's complete WGSL module. */
export function f32StorageWgsl(map: ManifestMap): string {
  const wgsl = kernelSetOf(map, 'f32-storage').wgsl;
  if (!wgsl || wgsl.extendsModule) throw new Error(`map '${map.name}': the f32-storage set is not a WGSL module of its own`);
  return wgsl.text;
}

/**
 * The map as a monc before kernel sets wrote it: no `kernelSets`; an f16 map's f32-storage
 * kernels in `fallback` (unless `withFallback` is false: older still).
 */
export function olderManifestMap(map: ManifestMap, withFallback = true): ManifestMap {
  const { kernelSets: _sets, ...older } = map;
  const f32 = map.kernelSets?.find((s) => s.name === 'f32-storage');
  if (!f32 || !withFallback) return older;
  return { ...older, fallback: { storage: 'f32', wgsl: f32StorageWgsl(map), kernels: f32.kernels!, backwardKernels: f32.backwardKernels! } };
}

/**
 * A tuning lookup as a database holding `schedule` (tuned on `tunedOn`) for every single op equal
 * to `op` (spans aside), forward or a backward program's recomputed copy, and nothing else.
 */
export function tuneOp(op: BackwardOp, schedule: Schedule, tunedOn: TargetLimits): TuningLookup {
  const key = opKey(op);
  return (ops) => (ops.length === 1 && opKey(ops[0]) === key ? { schedule, limits: tunedOn } : undefined);
}

/** A schedule of `op` valid on `tunedOn` but not within `limits`: its kernel needs more than they offer. */
export function scheduleBeyond(op: BackwardOp, tunedOn: TargetLimits, limits: TargetLimits): Schedule {
  const [schedule] = schedulesBeyond(op, tunedOn, limits);
  if (!schedule) throw new Error(`no schedule of this ${op.kind} op needs more than ${JSON.stringify(limits)}`);
  return schedule;
}

/** Every schedule of `op` valid on `tunedOn` but not within `limits`, in the tuner's order. */
export function schedulesBeyond(op: BackwardOp, tunedOn: TargetLimits, limits: TargetLimits): Schedule[] {
  const within = new Set(backwardCandidates(op, limits).map(scheduleKey));
  return backwardCandidates(op, tunedOn).filter((s) => !within.has(scheduleKey(s)));
}

function opKey(op: BackwardOp): string {
  return JSON.stringify({ ...op, span: undefined });
}
