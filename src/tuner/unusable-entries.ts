/**
 * Which tuning database entries a build would ignore: an entry that names one of these programs'
 * kernels (a forward op, a fusable run of them, or a backward op) with a schedule that kernel
 * cannot run (a hand-edited or damaged entry: a workgroup size or knob its family does not have,
 * another family's knobs), judged as the build judges it (the entry's adapter limits). Entries of
 * kernels these programs do not have cannot be judged here and are never called unusable.
 * `monc tune` drops the unusable ones from the database it rewrites.
 */
import type { BackwardProgram, Program } from '../ir/ir.js';
import { isValidRunSchedule, isValidSchedule, runsAt } from '../codegen/wgsl/families.js';
import { isValidBackwardSchedule } from '../codegen/wgsl/backward-program.js';
import type { Schedule, TargetLimits } from '../codegen/wgsl/kernel.js';
import { adapterTargetLimits } from './adapter-identity.js';
import { kernelSignature, type TuningEntry } from './db.js';

type Validity = (schedule: Schedule, limits: TargetLimits) => boolean;

/** A predicate: true for an entry whose kernel is one of the programs' and whose schedule is not valid for it. */
export function unusableEntries(programs: readonly { readonly forward: Program; readonly backward?: BackwardProgram }[]): (entry: TuningEntry) => boolean {
  const kernels = new Map<string, Validity>();
  // Identical kernels have one signature (its structure), so the first one found speaks for all.
  const add = (signature: string, valid: Validity) => {
    if (!kernels.has(signature)) kernels.set(signature, valid);
  };
  for (const { forward, backward } of programs) {
    forward.ops.forEach((op, i) => {
      add(kernelSignature([op], forward.dtype), (s, limits) => isValidSchedule(op, s, limits));
      for (const run of runsAt(forward, i)) {
        add(kernelSignature(run.map((j) => forward.ops[j]), forward.dtype), (s, limits) => isValidRunSchedule(forward, run, s, limits));
      }
    });
    backward?.ops.forEach((op) => add(kernelSignature([op], forward.dtype), (s, limits) => isValidBackwardSchedule(op, s, limits)));
  }
  return (entry) => {
    const valid = kernels.get(entry.kernel);
    return valid !== undefined && !valid(entry.schedule, adapterTargetLimits(entry.adapter));
  };
}
