/**
 * Tuning several maps at once: what `monc tune` runs, and the library's entry to the tuner. Each
 * map's forward kernels (tuneProgram) and, unless `forwardOnly`, its backward kernels
 * (tuneBackwardProgram, on the backward program a build derives) are searched on `device`; a
 * kernel is searched once whichever maps have it (identical layers reuse the first search). The
 * batch is checked against the device's buffer limits before any work. Browser-safe: the caller
 * stores the entries (`merge` them into a database; `monc tune` saves it on disk).
 */
import type { BackwardProgram, Program } from '../ir/ir.js';
import { compileBackward } from '../ir/pipeline.js';
import { deviceTargetLimits } from '../runtime/device.js';
import { adapterIdentity, type AdapterIdentity } from './adapter-identity.js';
import type { TuningEntry, TuningKey } from './db.js';
import { tuneBackwardProgram } from './tune-backward.js';
import { checkProgramArgument } from '../ir/program-argument.js';
import { checkTuneBatch, checkTuneCounts, checkTuneDevice, checkTuneF16, TUNE_MAPS_OPTIONS } from './tune-arguments.js';
import { argumentError } from '../util/library-arguments.js';

export { checkTuneBatch } from './tune-arguments.js';
import { tuneProgram, type KernelTuning, type KnownKernel, type TuneProgress } from './tune.js';

export interface TuneMapsOptions {
  /** The batch the kernels are timed at (entries are kept per power-of-two bucket of it). */
  readonly batch: number;
  /** At most this many candidates per kernel, unless its seeds (the untuned default, each family's own) are more: all are timed (default 24). */
  readonly maxCandidates?: number | undefined;
  /** Timed runs per candidate (default 10). */
  readonly repeats?: number | undefined;
  /** Leave the backward kernels untuned (a module built forward-only has none). */
  readonly forwardOnly?: boolean | undefined;
  readonly onProgress?: ((progress: TuneProgress) => void) | undefined;
}

/** The device to tune on: its adapter keys the entries (requestMoncDevice's result is one). */
export interface TuneDevice {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
}

export interface TuneMapsResult {
  /** Each map's forward kernels, as tuneProgram reports them. */
  readonly forward: readonly { readonly program: Program; readonly kernels: readonly KernelTuning[] }[];
  /** Each map's backward kernels (none with `forwardOnly`). */
  readonly backward: readonly { readonly program: BackwardProgram; readonly kernels: readonly KernelTuning[] }[];
  /** The winners, one per kernel: what a database keeps (`merge(db, entries, retired)`). */
  readonly entries: readonly TuningEntry[];
  /** Fused runs tried but not kept: a database drops older entries for them. */
  readonly retired: readonly TuningKey[];
  /** The adapter the entries are keyed by. */
  readonly adapter: AdapterIdentity;
}

/** Throws a MoncError (kind user) for options `monc tune` would refuse too, naming the option and the value. */
function checkOptions(gpu: TuneDevice, programs: readonly Program[], options: TuneMapsOptions): void {
  if (typeof gpu !== 'object' || gpu === null || typeof gpu.adapter !== 'object' || gpu.adapter === null) {
    throw argumentError('tuneMaps', 'the device must be { device, adapter } (requestMoncDevice())', gpu);
  }
  checkTuneDevice('tuneMaps', gpu.device, 'the device must be { device, adapter } (requestMoncDevice())');
  if (!Array.isArray(programs)) throw argumentError('tuneMaps', 'programs must be an array of compiled maps (compileMap)', programs);
  for (const program of programs) checkProgramArgument('tuneMaps', program, 'forward');
  checkTuneCounts('tuneMaps', options, TUNE_MAPS_OPTIONS);
  if (options.forwardOnly !== undefined && typeof options.forwardOnly !== 'boolean') throw argumentError('tuneMaps', 'forwardOnly must be true or false', options.forwardOnly);
}

export async function tuneMaps(gpu: TuneDevice, programs: readonly Program[], options: TuneMapsOptions): Promise<TuneMapsResult> {
  checkOptions(gpu, programs, options);
  const { device } = gpu;
  checkTuneF16(device, programs);
  const maps = programs.map((forward) => ({ forward, ...(options.forwardOnly ? {} : { backward: compileBackward(forward) }) }));
  checkTuneBatch(device, maps, options.batch);
  const adapter = adapterIdentity(gpu.adapter, device);
  const limits = deviceTargetLimits(device);
  const common = { batch: options.batch, limits, ...(options.maxCandidates !== undefined ? { maxCandidates: options.maxCandidates } : {}), ...(options.repeats !== undefined ? { repeats: options.repeats } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) };
  const forward: { program: Program; kernels: readonly KernelTuning[] }[] = [];
  const backward: { program: BackwardProgram; kernels: readonly KernelTuning[] }[] = [];
  const found: TuningEntry[] = [];
  const retired: TuningKey[] = [];
  // A kernel is tuned once, whichever maps and programs (forward, backward) have it: the later
  // ones reuse its result and report it as reused.
  const known = new Map<string, KnownKernel>();
  for (const map of maps) {
    const result = await tuneProgram(device, adapter, map.forward, { ...common, known });
    forward.push({ program: map.forward, kernels: result.kernels });
    found.push(...result.entries);
    retired.push(...result.retired);
    if (!map.backward) continue;
    const derived = await tuneBackwardProgram(device, adapter, map.backward, { ...common, known });
    backward.push({ program: map.backward, kernels: derived.kernels });
    found.push(...derived.entries);
  }
  // One entry per kernel, the one of the search that timed it: a reused kernel's entry comes
  // again from each later map that has it (with timed 0).
  const entries = found.filter((e, i) => found.findIndex((f) => f.kernel === e.kernel) === i);
  return { forward, backward, entries, retired, adapter };
}
