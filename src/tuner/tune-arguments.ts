/**
 * The argument checks of the tuner's library entries (tuneMaps, tuneProgram, tuneBackwardProgram),
 * written once: what `monc tune` refuses is refused from code too, before any work, as a MoncError
 * of kind `user` naming the function, the argument and the value (not a TypeError from deep
 * inside, a false buffer-limit reason for a NaN batch, or a batch of 0 that tunes nothing). An f16
 * program on a device without shader-f16 is kind `device`; a batch whose buffers pass the
 * device's one-buffer limit is kind `user`.
 */
import type { BackwardProgram, Program } from '../ir/ir.js';
import { backwardRowsLimitOf, batchOverLimit, forwardRowsLimit } from '../manifest/rows-limit.js';
import { MoncError } from '../util/error.js';
import { argumentError, checkLimitsArgument, isRecord, refuseUnknownOptions } from '../util/library-arguments.js';
import { isAdapterIdentity } from './db.js';
import { checkProgramArgument } from '../ir/program-argument.js';

/** The options every tuner entry takes (tune.ts TuneOptions, tune-maps.ts TuneMapsOptions). */
interface CountOptions {
  readonly batch: number;
  readonly maxCandidates?: number;
  readonly repeats?: number;
  readonly onProgress?: unknown;
}

/** A GPUDevice as the tuner uses it (buffers, its features and limits). */
export function checkTuneDevice(fn: string, device: unknown, what = 'the device must be a GPUDevice'): asserts device is GPUDevice {
  if (!(isRecord(device) && typeof device.createBuffer === 'function' && isRecord(device.limits) && isRecord(device.features) && typeof device.features.has === 'function')) {
    throw argumentError(fn, what, device);
  }
}

/** The option names of each tuner entry: a misspelt one is refused by name (QA2 s14 R36: `maxCandidate: 1` timed 24). */
export const TUNE_MAPS_OPTIONS = ['batch', 'maxCandidates', 'repeats', 'forwardOnly', 'onProgress'] as const;
const TUNE_PROGRAM_OPTIONS = ['batch', 'limits', 'storage', 'maxCandidates', 'repeats', 'onProgress', 'known'] as const;

/** The options object: only the names `known`; batch, maxCandidates and repeats whole numbers of at least 1, onProgress a function. */
export function checkTuneCounts(fn: string, options: unknown, known: readonly string[]): asserts options is CountOptions {
  if (!isRecord(options)) throw argumentError(fn, 'options must be an object with a batch', options);
  refuseUnknownOptions(fn, options, known);
  const count = (name: keyof CountOptions, value: unknown) => {
    if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= 1)) throw argumentError(fn, `${name} must be a whole number of at least 1`, value);
  };
  count('batch', options.batch);
  if (options.maxCandidates !== undefined) count('maxCandidates', options.maxCandidates);
  if (options.repeats !== undefined) count('repeats', options.repeats);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw argumentError(fn, 'onProgress must be a function', options.onProgress);
}

/** What adapterIdentity(adapter, device) returns (a GPUAdapter itself is not one: its features are a set). */
export function checkTuneAdapter(fn: string, adapter: unknown): void {
  if (!isAdapterIdentity(adapter)) throw argumentError(fn, 'the adapter must be its identity (adapterIdentity(adapter, device))', adapter);
}

/** One program's options beyond the counts: `limits` (deviceTargetLimits(device)), `storage`, `known`. */
export function checkTuneProgramOptions(fn: string, options: CountOptions & Record<string, unknown>): void {
  checkLimitsArgument(fn, options.limits);
  if (options.storage !== undefined && options.storage !== 'f32' && options.storage !== 'f16') throw argumentError(fn, "storage must be 'f32' or 'f16'", options.storage);
  if (options.known !== undefined && !(options.known instanceof Map)) throw argumentError(fn, 'known must be a Map', options.known);
}

/** Kernels of f16 storage need shader-f16 (kind device); `dtype`: the storage the program's kernels are tuned with. */
export function checkTuneF16(device: GPUDevice, programs: readonly { readonly name: string; readonly dtype: string }[]): void {
  const f16 = programs.find((p) => p.dtype === 'f16');
  if (f16 && !device.features.has('shader-f16')) throw new MoncError('device', `map '${f16.name}' is f16 and this device has no shader-f16: its f16 kernels cannot be tuned here`);
}

/** Throws a MoncError (kind user) naming the first map whose buffers at `batch` pass the device's one-buffer limit. */
export function checkTuneBatch(device: GPUDevice, programs: readonly { readonly forward: Program; readonly backward?: BackwardProgram }[], batch: number): void {
  // Also a library entry (monc): its own arguments checked by name first.
  checkTuneDevice('checkTuneBatch', device);
  if (!Array.isArray(programs)) throw argumentError('checkTuneBatch', 'programs must be an array of { forward, backward? } (compileMap, compileBackward)', programs);
  for (const p of programs) {
    checkProgramArgument('checkTuneBatch', isRecord(p) ? p.forward : p, 'forward');
    if (isRecord(p) && p.backward !== undefined) checkProgramArgument('checkTuneBatch', p.backward, 'backward');
  }
  if (!(Number.isSafeInteger(batch) && batch >= 1)) throw argumentError('checkTuneBatch', 'batch must be a whole number of at least 1', batch);
  for (const { forward, backward } of programs) {
    const over = batchOverLimit(`map '${forward.name}'`, batch, forwardRowsLimit(forward, forward.dtype, device.limits)) ?? (backward && backwardOverLimit(device, backward, batch));
    if (over) throw new MoncError('user', over);
  }
}

/** Throws a MoncError (kind user) when a backward program's buffers at `batch` pass the device's one-buffer limit. */
export function checkTuneBackwardBatch(device: GPUDevice, backward: BackwardProgram, batch: number): void {
  const over = backwardOverLimit(device, backward, batch);
  if (over) throw new MoncError('user', over);
}

function backwardOverLimit(device: GPUDevice, backward: BackwardProgram, batch: number): string | undefined {
  return batchOverLimit(`map '${backward.name}' (backward)`, batch, backwardRowsLimitOf(backward, backward.dtype, device.limits));
}

/** Everything tuneProgram / tuneBackwardProgram take (`kind`: which program), checked before any work: tuneMaps' refusals. */
export function checkProgramTuning(fn: string, device: GPUDevice, adapter: unknown, program: Program | BackwardProgram, options: CountOptions & { readonly storage?: string }, kind: 'forward' | 'backward'): void {
  checkTuneDevice(fn, device);
  checkTuneAdapter(fn, adapter);
  checkProgramArgument(fn, program, kind);
  checkTuneCounts(fn, options, TUNE_PROGRAM_OPTIONS);
  checkTuneProgramOptions(fn, options as CountOptions & Record<string, unknown>);
  checkTuneF16(device, [{ name: program.name, dtype: options.storage ?? program.dtype }]);
  if (kind === 'forward') checkTuneBatch(device, [{ forward: program as Program }], options.batch);
  else checkTuneBackwardBatch(device, program as BackwardProgram, options.batch);
}
