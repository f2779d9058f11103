/**
 * `fitMse`: a map fitted to (X, T) by minimising mean((X Mᵀ + b − T)²) over mini-batches, with
 * one of the optimizers (optimizer.ts); what `monc train` runs. Every step: the mini-batch's rows
 * (miniBatches: the same rows for the same seed on both backends), Y, the loss, DY = 2(Y − T)/(r·m),
 * the parameter gradients, one update, and the checks that stop it at the first step whose loss
 * is not finite, whose gradients a float32 optimizer state cannot take, or whose parameters the
 * module cannot load (non-finite; beyond ±65504 in an f16 module). A stop leaves the parameters
 * as the last good step left them (before any step: as loaded), on both backends.
 *
 * On webgpu the loop stays on the device (GpuFitMse, gpu-fit-mse.ts); the cpu backend runs the
 * same steps in float64 with the runner's forward, backward and optimizer (cpuFitMse).
 */
import type { Dtype } from '../manifest/program.js';
import type { ManifestMap } from '../manifest/types.js';
import { MoncError } from '../util/error.js';
import { MAX_SEED } from '../util/random.js';
import { checkOptionNames, isPlainObject, shown, userError } from './user-error.js';
import { nonFiniteValue } from './finite-rows.js';
import { gatherRows, miniBatches } from './minibatches.js';
import { checkValues, F16_MAX, ValueRangeError } from './numerics.js';
import { resolveOptimizer, type Optimizer, type OptimizerOptions } from './optimizer-options.js';

export interface FitMseOptions {
  /** Optimizer steps, one mini-batch each (at least 1). */
  readonly steps: number;
  readonly optimizer: OptimizerOptions;
  /** Rows per mini-batch (default, and anything above the rows: all rows, in order). */
  readonly batch?: number | undefined;
  /** Seed of the mini-batch shuffling: a non-negative integer (default 0). */
  readonly seed?: number | undefined;
  /** Called at progress points with the step (1-based) and its mini-batch loss (before its update). */
  readonly onProgress?: ((step: number, loss: number) => void) | undefined;
  /** Progress points, evenly spaced: the steps where ⌊step·k/steps⌋ grows, the last included (default 10). */
  readonly progressPoints?: number | undefined;
}

export interface FitMseResult {
  readonly steps: number;
  /** The last step's mini-batch loss (before its update). */
  readonly loss: number;
}

/** Why a fit stopped: its loss, its gradients (float32 optimizer state), or the parameters after the update. */
export type FitStopReason = 'loss' | 'gradient' | 'params';

/**
 * The error a fit stops with, at the first step whose loss is not finite, or whose gradients or
 * updated parameters cannot be kept. `detail` says what and at which step (`the loss became NaN
 * at step 2 of 5`). The stopping step's update is not kept: the runner's parameters are those
 * after step `step − 1` (the loaded ones when `step` is 1), on webgpu as on the cpu backend. After
 * a 'params' stop the runner can go on from them (e.g. a fit with a smaller learning rate); a
 * 'loss' or 'gradient' stop is those parameters failing (a step's loss and gradients come from
 * them), so a fit from them stops again on the same rows, whatever its learning rate (QA2 s26
 * Q551; docs/training.md says to load good parameters first).
 */
export class FitStopped extends MoncError {
  override readonly name = 'FitStopped';
  constructor(
    readonly step: number,
    readonly reason: FitStopReason,
    readonly detail: string,
  ) {
    super('value', `${detail}; stopped`, { step, reason });
  }
}

/** The stop of a step whose parameters left the module's range: `message` is checkValues'. */
export function paramsStop(dtype: Dtype, step: number, steps: number, message: string): FitStopped {
  const what = dtype === 'f16' ? `overflowed the f16 range (±${F16_MAX})` : 'became non-finite';
  return new FitStopped(step, 'params', `the parameters ${what} at step ${step} of ${steps} (${message})`);
}

export function lossStop(loss: number, step: number, steps: number): FitStopped {
  return new FitStopped(step, 'loss', `the loss became ${loss} at step ${step} of ${steps}`);
}

/**
 * The stop of the last step (`steps`) when the parameters it leaves give outputs `y` (rows of `width`, as the runner
 * returns them) that are not finite, where float32 overflows: each earlier step's update meets the next step's loss, the
 * last one's no step (QA2 s23 Q256: written as a success by monc train, whose check of a parameter file's outputs over all
 * rows in float64 is this one too). `rows`: the row of x each row of `y` is (the last mini-batch's; default: in order).
 * Undefined when every output is finite.
 */
export function outputsStop(y: ArrayLike<number>, width: number, steps: number, rows?: ArrayLike<number>): FitStopped | undefined {
  const overflow = nonFiniteValue(y, [y.length / width, width], rows);
  return overflow === undefined ? undefined : new FitStopped(steps, 'loss', `after step ${steps} of ${steps} the outputs overflow float32 (Y ${overflow})`);
}

/** The checked options and data sizes of a fit. */
export interface FitPlan {
  readonly rows: number;
  readonly batch: number;
  readonly steps: number;
  readonly seed: number;
  /** Whether `step` reports progress. */
  readonly reports: (step: number) => boolean;
}

/** Checks a fit's data and options against the map (shape and user errors, one line each). */
export function planFit(map: ManifestMap, dtype: Dtype, x: Float32Array, target: Float32Array, options: FitMseOptions): FitPlan {
  const what = `map '${map.name}'`;
  const rows = x.length / map.in;
  if (!Number.isInteger(rows) || rows < 1) throw new MoncError('shape', `${what}: input of ${x.length} values is not a whole number (at least 1) of rows of ${map.in}`);
  if (target.length !== rows * map.out) throw new MoncError('shape', `${what}: target has ${target.length} values; expected ${rows} rows x ${map.out} = ${rows * map.out}`);
  // An array, a Map or a Date is no options object (QA2 s30 Q951: [1] was refused as having an option '0').
  if (!isPlainObject(options)) throw userError(`${what}: fitMse needs options { steps, optimizer, … }, got ${shown(options)}`);
  checkOptionNames(`${what}: fitMse`, options, ['steps', 'optimizer', 'batch', 'seed', 'onProgress', 'progressPoints']);
  const { steps, batch = rows, seed = 0 } = options;
  if (!Number.isInteger(steps) || steps < 1) throw userError(`${what}: fitMse steps must be a whole number of at least 1, got ${shown(steps)}`);
  if (!Number.isInteger(batch) || batch < 1) throw userError(`${what}: fitMse batch must be a whole number of at least 1, got ${shown(batch)}`);
  // As monc train --seed: mulberry32 takes the seed's low 32 bits, so a negative or fractional one would alias another.
  if (!Number.isSafeInteger(seed) || seed < 0) throw userError(`${what}: fitMse seed must be a non-negative integer, got ${shown(seed)}`);
  // Nor one past 32 bits, which would run as its low bits (QA1 s21 Q06: seed 2^32 shuffled as 0).
  if (seed > MAX_SEED) throw userError(`${what}: fitMse seed must be at most 2^32 - 1 (${MAX_SEED}), the shuffle's 32 bits, got ${seed}`);
  for (const [data, name, width] of [[x, 'input', map.in], [target, 'target', map.out]] as const) {
    const bad = nonFiniteValue(data, [rows, width]);
    if (bad) throw new MoncError('value', `${what}: ${name} ${bad}; all values must be finite`);
  }
  if (dtype === 'f16') {
    checkValues(x, 'f16', `input of ${what}`, [rows, map.in]);
    // T stays f32 on the device, but no f16 output can come near a target beyond ±65504: refused on every adapter alike, as x.
    checkValues(target, 'f16', `target of ${what}`, [rows, map.out]);
  }
  if (options.optimizer === undefined) throw userError(`${what}: fitMse needs options.optimizer ({ kind: 'sgd' | 'adam' | 'adamw', lr, … })`);
  resolveOptimizer(options.optimizer, what);
  const parts = options.progressPoints ?? 10;
  if (!Number.isInteger(parts) || parts < 0) throw userError(`${what}: fitMse progressPoints must be a whole number of at least 0, got ${shown(parts)}`);
  // Called only at progress points: a non-function would throw a TypeError there, after steps were taken.
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw userError(`${what}: fitMse onProgress must be a function (step, loss) => void, got ${typeof options.onProgress}`);
  const reports = (step: number) => step === steps || Math.floor((step * parts) / steps) > Math.floor(((step - 1) * parts) / steps);
  return { rows, batch: Math.min(batch, rows), steps, seed, reports };
}

/** What the cpu loop runs: the runner's float64 forward and backward passes and an optimizer over its host parameters. */
export interface CpuFitHost {
  readonly map: ManifestMap;
  readonly dtype: Dtype;
  forward(x: Float32Array, rows: number): Promise<Float32Array>;
  backward(x: Float32Array, dy: Float32Array, rows: number): Promise<unknown>;
  /** The packed host parameters (updated in place by the optimizer). */
  params(): Float32Array;
}

/**
 * How long the cpu loop computes before it lets the event loop run (ms): its passes settle at once, so without a yield a
 * long fit held the page (no repaint, no timer: QA2 s21 Q55), and a destroy() called meanwhile landed only after it.
 */
const CPU_FIT_SLICE_MS = 50;

/**
 * A turn of the event loop through a message, not a timer: browsers throttle chained timers in hidden tabs (to 1 s, later
 * 1 min: a fit yielding by setTimeout crawled there, REV s21 3); messages are not throttled.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(undefined);
  });
}

/** The fit on the cpu backend: the steps as a user would write them with forward, backward and an optimizer, in float64. */
export async function cpuFitMse(host: CpuFitHost, optimizer: Optimizer, x: Float32Array, target: Float32Array, plan: FitPlan, options: FitMseOptions): Promise<FitMseResult> {
  const { map } = host;
  const next = miniBatches(plan.rows, plan.batch, plan.seed);
  let loss = NaN;
  let sliceStart = Date.now();
  for (let step = 1; step <= plan.steps; step++) {
    // Between steps: a destroy() that ran meanwhile rejects the fit at the next forward pass, the parameters those of the
    // last step.
    if (Date.now() - sliceStart >= CPU_FIT_SLICE_MS) {
      await yieldToEventLoop();
      sliceStart = Date.now();
    }
    const picked = next();
    const xb = picked ? gatherRows(x, map.in, picked) : x;
    const tb = picked ? gatherRows(target, map.out, picked) : target;
    const rows = picked ? picked.length : plan.rows;
    const y = await host.forward(xb, rows);
    loss = meanSquaredError(y, tb);
    if (!Number.isFinite(loss)) throw lossStop(loss, step, plan.steps);
    await host.backward(xb, mseOutputGradient(y, tb), rows);
    const packed = host.params();
    // The update is in place: a stop after it puts the last good step's parameters back.
    const before = packed.slice();
    await optimizer.step();
    for (const entry of map.params) {
      const size = entry.shape.reduce((a, b) => a * b, 1);
      try {
        checkValues(packed.subarray(entry.offset, entry.offset + size), host.dtype, `parameter tensor '${entry.name}'`, entry.shape);
      } catch (e) {
        if (!(e instanceof ValueRangeError)) throw e;
        packed.set(before);
        throw paramsStop(host.dtype, step, plan.steps, e.message);
      }
    }
    // The last update meets no next step's loss: its outputs on the same rows are checked here.
    const last = step === plan.steps && outputsStop(await host.forward(xb, rows), map.out, step, picked);
    if (last) {
      packed.set(before);
      throw last;
    }
    if (plan.reports(step)) options.onProgress?.(step, loss);
  }
  return { steps: plan.steps, loss };
}

/** mean((y − t)²), accumulated in float64. */
export function meanSquaredError(y: ArrayLike<number>, t: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    const d = y[i] - t[i];
    sum += d * d;
  }
  return sum / y.length;
}

/** ∂/∂Y of mean((Y − T)²) over all entries: 2(Y − T)/(rows·m). */
function mseOutputGradient(y: Float32Array, t: Float32Array): Float32Array {
  const scale = 2 / y.length;
  return Float32Array.from(y, (v, i) => (v - t[i]) * scale);
}
