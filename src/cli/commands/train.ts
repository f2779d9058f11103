/**
 * `monc train FILE.mon --map NAME --params P.safetensors --input X.npy --target Y.npy --out P2.safetensors
 *   [--steps N] [--lr η] [--optimizer adam|adamw|sgd] [--momentum μ] [--weight-decay λ] [--batch B] [--seed S] [--backend webgpu|cpu]`
 *
 * Minimises the MSE mean((X Mᵀ + b − Y)²) over all B·m entries, one optimizer step per
 * mini-batch: the runner's fitMse (runtime/fit-mse.ts), which on webgpu keeps the whole loop on
 * the device. The command adds the files, progress, the hints of its errors, and loss_initial and
 * loss_final: the MSE over all rows with P and with the parameters as written (so for `dtype f16`
 * with the f16-rounded values), in float64.
 */
import { modelOf } from '../../model/build.js';
import { readSafetensors } from '../../runtime/formats/safetensors.js';
import { packParams } from '../../runtime/params.js';
import type { ManifestMap } from '../../manifest/types.js';
import type { Dtype } from '../../dsl/structure.js';
import { executeProgram } from '../../runtime/cpu-executor.js';
import { programOfManifest, type Backend, type MapRunner } from '../../runtime/map-runner.js';
import type { OptimizerOptions } from '../../runtime/optimizer.js';
import { FitStopped, meanSquaredError, outputsStop, type FitStopReason } from '../../runtime/fit-mse.js';
import { checkMomentum } from '../../runtime/optimizer-options.js';
import { nonFiniteValue } from '../../runtime/finite-rows.js';
import { MoncError } from '../../util/error.js';
import { compileSpecKernels } from '../compile-spec.js';
import type { CommandContext, CommandResult } from '../context.js';
import { note } from '../context.js';
import { readParamsFile, readSafetensorsHeader, shapeText } from '../data-files.js';
import { sameFile, writeAtomic } from '../files.js';
import { findMap, loadSpecWriting } from '../load-spec.js';
import { progress } from '../progress.js';
import { withTensorsReplaced } from '../replace-tensors.js';
import { readInputRows, readPairedRows, type Rows } from '../training-data.js';
import { manifestMapOf, openTrainingRunner, withRunner } from '../training-runner.js';
import { escapeHidden } from '../../util/hidden-chars.js';

export type OptimizerKind = OptimizerOptions['kind'];

export interface TrainCommandOptions {
  readonly map: string;
  readonly params: string;
  readonly input: string;
  readonly target: string;
  readonly out: string;
  readonly steps: number;
  readonly lr: number;
  readonly optimizer: OptimizerKind;
  readonly momentum?: number;
  readonly weightDecay?: number;
  /** Rows per step; default all rows. */
  readonly batch?: number;
  readonly seed: number;
  readonly backend: Backend;
}

export async function trainCommand(ctx: CommandContext, file: string, opts: TrainCommandOptions): Promise<CommandResult> {
  // Numbers the parser took but no training can use: bad input (exit 1, issue 10: `--steps 0` or a negative learning
  // rate; the other optimizer settings alike, QA2 s15 R40), before any work.
  if (opts.steps < 1) throw new MoncError('user', `--steps must be a positive integer, got ${opts.steps}`);
  for (const [option, value] of [['--lr', opts.lr], ['--weight-decay', opts.weightDecay]] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw new MoncError('user', `${option} must be a finite non-negative number, got ${value}`);
  }
  if (opts.momentum !== undefined) checkMomentum(opts.momentum, '--momentum');
  const optimizer = optimizerOptions(opts);
  // Training may run for hours: an --out that cannot be written is refused before any of it.
  // (--out may be --params: fine-tuning in place replaces the map's tensors in the parameter file.)
  const { spec, outInputs } = await loadSpecWriting(ctx, file, opts.out, [opts.input, opts.target], compileSpecKernels);
  const map = findMap(spec, opts.map);
  const params = await readParamsFile(opts.params, modelOf(map).params, spec.module.dtype);
  // In place, the file is rewritten with the trained tensors in place of the map's and its other tensors (another layer
  // of a state dict) as they were, copied from it as it is written: its header is read now, and the write refuses a
  // file that changed meanwhile.
  const original = sameFile(opts.out, opts.params) ? await readSafetensorsHeader(opts.params) : undefined;
  const x = await readInputRows(opts.input, map);
  // The loss is a mean over the rows: of none, it is not a number (grad takes no rows: its gradients are 0).
  if (x.rows === 0) throw new MoncError('shape', `${opts.input}: input has no rows (shape ${shapeText(x.shape)}): training needs at least one`);
  const target = await readPairedRows(opts.target, 'target', x, map);
  const batch = Math.min(opts.batch ?? x.rows, x.rows);
  if (opts.batch !== undefined && opts.batch > x.rows) note(ctx, `--batch ${opts.batch} is more than the ${x.rows} rows of ${opts.input}: each step uses all rows`);

  const manifestMap = manifestMapOf(spec, map);
  const mseOf = (tensors: ReadonlyMap<string, ArrayLike<number>>) => fileMse(manifestMap, spec.module.dtype, tensors, x, target);
  const initial = mseOf(params);
  const lossInitial = initial.loss;
  if (!Number.isFinite(lossInitial)) throw new MoncError('value', `the loss with ${opts.params} is ${lossInitial} before any step; nothing written`);
  const overflow = nonFiniteValue(initial.y, target.shape);
  if (overflow) {
    throw new MoncError('value', `with ${opts.params} the outputs of map '${map.name}' overflow float32, as every backend returns them (Y ${overflow}): the first step's loss would be ±Infinity; nothing written (scale the parameters or the input down)`);
  }

  const runner = await openTrainingRunner(ctx, spec, map, opts.backend);
  const bytes = await withRunner(runner, async () => {
    runner.loadParams(params);
    await trainSteps(ctx, runner, x.data, target.data, { batch, steps: opts.steps, seed: opts.seed, optimizer });
    return runner.saveParams();
  });
  // The loss of the parameters as written (read back: f16 rounding included).
  const final = mseOf(new Map([...readSafetensors(bytes).tensors].map(([name, t]) => [name, t.data])));
  const lossFinal = final.loss;
  if (!Number.isFinite(lossFinal)) throw new MoncError('value', `the loss became ${lossFinal} after step ${opts.steps}; ${opts.out} not written (try a smaller --lr)`);
  // fitMse's check of the last update, over every row here (fitMse checks the last mini-batch's), in float64, of the
  // parameters as written (f16 rounding included).
  const last = outputsStop(final.y, map.out, opts.steps);
  if (last) throw stoppedError(last);
  const trained = { bytes, lossInitial, lossFinal };
  await writeAtomic(opts.out, original ? withTensorsReplaced(original, trained.bytes) : trained.bytes, outInputs);

  const dtype = spec.module.dtype === 'f16' ? 'F16' : 'F32';
  const json = {
    map: map.name,
    steps: opts.steps,
    loss_initial: trained.lossInitial,
    loss_final: trained.lossFinal,
    out: opts.out,
    optimizer: optimizer.kind,
    lr: opts.lr,
    batch,
    rows: x.rows,
    seed: opts.seed,
    backend: runner.backend,
    adapter: runner.adapterDescription,
    dtype,
  };
  return {
    json,
    text: [
      `trained map '${map.name}': ${opts.steps} step${opts.steps === 1 ? '' : 's'} of ${optimizer.kind} (lr ${opts.lr}, ${batch} of ${x.rows} rows per step, ${runner.backend})`,
      `  loss_initial  ${formatLoss(trained.lossInitial)}`,
      `  loss_final    ${formatLoss(trained.lossFinal)}`,
      `wrote ${escapeHidden(opts.out)} (${dtype})`,
    ].join('\n'),
  };
}

interface Loop {
  readonly batch: number;
  readonly steps: number;
  readonly seed: number;
  readonly optimizer: OptimizerOptions;
}

/** What to do about each way a fit stops, after "stopped, nothing written". */
const HINTS: Record<FitStopReason, string> = {
  loss: 'try a smaller --lr',
  gradient: 'scale the input and target down, or use --backend cpu',
  params: 'try a smaller --lr',
};

/**
 * The optimisation loop: the runner's fitMse (on webgpu all on the device, stats read back at
 * progress points), with progress on stderr; stops with a user error naming the first bad step.
 */
async function trainSteps(ctx: CommandContext, runner: MapRunner, x: Float32Array, target: Float32Array, loop: Loop): Promise<void> {
  const bar = progress(ctx, 'train');
  try {
    await runner.fitMse(x, target, {
      ...loop,
      // Every ~1% on a terminal (the bar), every ~10% as plain lines.
      progressPoints: ctx.io.stderrIsTty === true ? 100 : 10,
      onProgress: (step, loss) => bar.update(step, loop.steps, `loss ${formatLoss(loss)}`),
    });
  } catch (e) {
    throw e instanceof FitStopped ? stoppedError(e) : e;
  } finally {
    bar.finish();
  }
}

/** A fit's stop as monc train reports it: nothing written, and what to do about it. */
function stoppedError(stop: FitStopped): MoncError {
  return new MoncError('value', `${stop.detail}; stopped, nothing written (${HINTS[stop.reason]})`);
}

/**
 * The MSE of a parameter set over all rows, in float64 on the CPU whatever the backend (the
 * program executor keeps every intermediate in float64): the number anyone recomputes from the
 * parameter file, even when it is far below float32's rounding of Y. With it the outputs Y in
 * float64, which the caller checks against float32's range (`holds 1.2e+60 (beyond float32) at row
 * 0, column 3`): the runners' outputs are float32 on every backend, where that Y is ±Infinity, and
 * so is a step's loss, while the float64 loss is finite (QA2 s23 Q256: 1e30 parameters written as a success).
 */
function fileMse(map: ManifestMap, dtype: Dtype, tensors: ReadonlyMap<string, ArrayLike<number>>, x: Rows, target: Rows): { loss: number; y: Float64Array } {
  const y = executeProgram(programOfManifest(map, dtype), packParams(map.params, map.paramSize, tensors), x.data, x.rows);
  return { loss: meanSquaredError(y, target.data), y };
}

function optimizerOptions(opts: TrainCommandOptions): OptimizerOptions {
  const { lr, momentum, weightDecay } = opts;
  // Each value's range is checked above; this pair is a usage error (a command line that contradicts itself).
  if (momentum !== undefined && opts.optimizer !== 'sgd') throw new MoncError('usage', `--momentum applies to --optimizer sgd, not ${opts.optimizer}`);
  const decay = weightDecay === undefined ? {} : { weightDecay };
  return opts.optimizer === 'sgd' ? { kind: 'sgd', lr, momentum: momentum ?? 0, ...decay } : { kind: opts.optimizer, lr, ...decay };
}

/** Six significant digits; small losses in exponent form (1.34351e-5, not 0.0000134351). */
function formatLoss(loss: number): string {
  const plain = loss === 0 || !Number.isFinite(loss) || (Math.abs(loss) >= 1e-3 && Math.abs(loss) < 1e6);
  return plain ? String(Number(loss.toPrecision(6))) : loss.toExponential(5).replace(/\.?0+e/, 'e');
}
