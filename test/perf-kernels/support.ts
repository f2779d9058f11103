/**
 * Shared by the fast-kernel tests: the limits they emit for, the SPEC §6 f32 tolerance, a spread
 * of a family's candidates (SwiftShader is slow), one kernel's error (one op, ks or bsr, or a
 * fused run; f32 or f16 storage) against the float64 reference, and whole compiled modules run
 * by MapRunner against it; the ks-sgmat space tests' ops and square-tile test.
 */
import { expect } from 'vitest';
import { nodeGpu } from '../../bench/node-gpu.js';
import { checkCase, contextFor, monarchCase, type OpsCase } from '../../bench/cases.js';
import { register, type KernelFamily, type OpOf } from '../../src/codegen/wgsl/family.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { KsOp, Op } from '../../src/ir/ir.js';
import type { KernelContext, StorageType } from '../../src/codegen/wgsl/scaffold.js';
import { KernelCheck } from '../../src/tuner/kernel-check.js';
import type { KernelOutputs } from '../../src/compile-kernels.js';
import { paramsOf } from '../../src/dsl/params.js';
import type { CheckedModule } from '../../src/dsl/structure.js';
import { initParams } from '../../src/runtime/init.js';
import { MapRunner } from '../../src/runtime/node.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';

export const LIMITS: TargetLimits = { maxWorkgroupSize: 256, maxWorkgroupStorageBytes: 16384, features: [] };
export const TOL = 1e-5;
/** SPEC §6 f16 tolerance. */
export const TOL_F16 = 3e-3;

/** `count` candidates spread evenly over `all` (first and last included). */
export function sample<T>(all: readonly T[], count: number): T[] {
  if (all.length <= count) return [...all];
  const step = (all.length - 1) / (count - 1);
  return Array.from({ length: count }, (_, i) => all[Math.round(i * step)]);
}

/**
 * The default schedule, then `count` candidates spread over `all` (`sample`), each schedule once:
 * where the spread picks the default too, the same kernel is not compiled and checked twice.
 */
export function defaultAndSample<T>(def: T, all: readonly T[], count: number): T[] {
  const seen = new Set<string>();
  return [def, ...sample(all, count)].filter((s) => {
    const key = JSON.stringify(s);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Relative error of op `index` of the case, emitted by `family` with `schedule`, at `batch` rows. */
export function opError<K extends Op['kind'], S extends Schedule>(family: KernelFamily<K, S>, c: OpsCase<OpOf<K>>, index: number, schedule: Schedule, batch: number, storage: StorageType = 'f32'): Promise<number> {
  return kernelError(c, index, 1, (ctx) => register(family).forOp(c.ops[index]).emit(schedule, ctx), batch, storage);
}

/** Relative error of one kernel performing ops [first, first + count) of the case (a fused run, say), at `batch` rows. */
export async function kernelError<O extends Op>(
  c: OpsCase<O>,
  first: number,
  count: number,
  emit: (ctx: KernelContext) => EmittedKernel,
  batch: number,
  storage: StorageType = 'f32',
): Promise<number> {
  const { device } = await nodeGpu();
  const check = KernelCheck.create(device, checkCase(c, first, count, storage, batch));
  try {
    return await check.check(emit(contextFor(c, 'k', first, storage)));
  } finally {
    check.destroy();
  }
}

/**
 * Every map of a compiled module, run by MapRunner on the test adapter (an f16 module where the
 * adapter has no shader-f16: the f32-storage fallback its build shipped), against the float64 reference.
 */
export async function expectModuleMatches(out: KernelOutputs & { readonly module: CheckedModule }, batches: readonly number[] = [1, 7], tolerance = TOL): Promise<void> {
  const { device } = await nodeGpu();
  for (const checked of out.module.maps) {
    const map = out.manifest.maps.find((m) => m.name === checked.name)!;
    const runner = await MapRunner.create(map, out.wgsl, { device, dtype: out.module.dtype });
    try {
      const params = initParams(paramsOf(checked.structure), 5);
      runner.loadParams(params);
      for (const batch of batches) {
        const x = randomArray(batch * checked.in, rng(batch + 11));
        const y = await runner.forward(x, batch);
        expect(relativeError(y, referenceApply(checked.structure, params, x, batch)), `${checked.name}, batch ${batch}`).toBeLessThan(tolerance);
      }
    } finally {
      runner.destroy();
    }
  }
}

/** A one-op case around `op` (weight `w`, then its bias `b` if it has one). */
export function oneOp(op: KsOp): OpsCase {
  const wLength = op.a * op.d * op.b * op.c;
  const out = op.a * op.b * op.d;
  return {
    name: 'one op',
    ops: [op],
    params: [{ name: 'w', shape: [op.a * op.d, op.b, op.c], offset: 0 }, ...(op.bias ? [{ name: 'b', shape: [out], offset: wLength }] : [])],
    paramSize: wLength + (op.bias ? out : 0),
    buffers: [{ name: 'x', size: op.a * op.c * op.d }, { name: 'y', size: out }],
    in: op.a * op.c * op.d,
    out,
    flopsPerRow: 0,
  };
}

/**
 * The Monarch factors whose ks-sgmat schedule spaces the ks-sgmat tests walk (knobs, shared, eight):
 * the three first factors the GPU calls time and n=4096's strided factor, where ks-sgmat offers its d > 1 forms.
 */
export const KS_SGMAT_SPACE_OPS: readonly (readonly [string, KsOp])[] = [
  ['n=4096 first factor', monarchCase(4096, 4096, 64).ops[0] as KsOp],
  ['1024->4096 first factor', monarchCase(1024, 4096, 4).ops[0] as KsOp],
  ['4096->1024 first factor', monarchCase(4096, 1024, 4).ops[0] as KsOp],
  ['n=4096 strided factor', monarchCase(4096, 4096, 64).ops[1] as KsOp],
];

/** Session 31's square tile on 16 subgroups (ks-sgmat.ts sixteenSquares): 4 x 4 of 64 x 64. */
export const isSixteenSquare = (s: KsSgmatSchedule): boolean => Number(s.sg ?? 1) * Number(s.sgc ?? 1) === 16;

/** The square workgroup tiles: session 28's on 8 subgroups (ks-sgmat.ts squareTiles: 64 x 128 or 128 x 64 subgroup tiles), then session 31's on 16. */
export const isSquareTile = (s: KsSgmatSchedule): boolean => (Number(s.sg ?? 1) * Number(s.sgc ?? 1) === 8 && (s.rows === 128 || s.cols === 128)) || isSixteenSquare(s);
