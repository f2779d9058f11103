/**
 * What an untuned build of a program runs on the adapter the tuner tunes on: the kernel set its
 * runtime would choose there (runtime/kernel-sets.ts chooseKernelSet, the runtime's own rule) of
 * the sets such a build makes (compile-kernels.ts untunedForwardSets): on an H100 an f16 map's
 * tensor-core set, an f32 map's large set, elsewhere the portable kernels. The tuner times these
 * as the build default, so `defaultMs` and monc tune's speed-up are against what a build without
 * the tuning runs there (lead s17 L1: the portable default made an H100's strided f16 factor look
 * 2.86x faster where the gain over the tensor-core set was 1.16x). Browser-safe.
 */
import { untunedForwardSets } from '../compile-kernels.js';
import type { Schedule } from '../codegen/wgsl/kernel.js';
import type { StorageType } from '../codegen/wgsl/scaffold.js';
import type { Program } from '../ir/ir.js';
import type { AdapterOffer } from '../manifest/requirements.js';
import { chooseKernelSet } from '../runtime/kernel-sets.js';
import { invariant } from '../util/assert.js';

/** One kernel of the untuned build: the ops it performs (one, or a fused run) and its schedule. */
export interface UntunedKernel {
  readonly ops: readonly number[];
  readonly schedule: Schedule;
}

/** The forward kernels an untuned build of `program` with `storage` runs on an adapter offering `offer`, in op order. */
export function untunedKernels(program: Program, storage: StorageType, offer: AdapterOffer): readonly UntunedKernel[] {
  const { set } = chooseKernelSet(program.name, untunedForwardSets(program, storage), offer);
  invariant(set.kernels !== undefined, `map ${program.name}: untunedForwardSets lists every set's forward kernels`);
  return set.kernels.map((k) => ({ ops: k.ops, schedule: k.schedule }));
}
