/**
 * Shared by the fast-kernel tests: the limits they emit for, the SPEC §6 f32 tolerance, a spread
 * of a family's candidates (SwiftShader is slow), and one op's error against the float64 reference.
 */
import { nodeGpu } from '../../bench/node-gpu.js';
import { checkCase, contextFor, type OpsCase } from '../../bench/cases.js';
import type { KernelFamily } from '../../src/codegen/wgsl/family.js';
import type { Schedule, TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { KernelCheck } from '../../src/runtime/tuner/kernel-check.js';

export const LIMITS: TargetLimits = { maxWorkgroupSize: 256, maxWorkgroupStorageBytes: 16384, features: [] };
export const TOL = 1e-5;

/** `count` candidates spread evenly over `all` (first and last included). */
export function sample<T>(all: readonly T[], count: number): T[] {
  if (all.length <= count) return [...all];
  const step = (all.length - 1) / (count - 1);
  return Array.from({ length: count }, (_, i) => all[Math.round(i * step)]);
}

/** Relative error of op `index` of the case, emitted by `family` with `schedule`, at `batch` rows. */
export async function opError(family: KernelFamily<KsOp>, c: OpsCase, index: number, schedule: Schedule, batch: number): Promise<number> {
  const { device } = await nodeGpu();
  const check = KernelCheck.create(device, checkCase(c, index, 1, 'f32', batch));
  try {
    return await check.check(family.emit(c.ops[index], schedule, contextFor(c, 'k', index, 'f32')));
  } finally {
    check.destroy();
  }
}
