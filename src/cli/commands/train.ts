/**
 * `monc train FILE.mon --map NAME --params P.safetensors --input X.npy --target Y.npy --out P2.safetensors
 *   [--steps N] [--lr η] [--optimizer adam|adamw|sgd] [--momentum μ] [--weight-decay λ] [--batch B] [--seed S] [--backend webgpu|cpu]`
 *
 * Minimises the MSE mean((X Mᵀ + b − Y)²) over all B·m entries, one optimizer step per
 * mini-batch. The command owns the loss only (its value and ∂L/∂Y = 2(Y − T)/(rows·m)); gradients
 * and updates are the runner's. loss_initial and loss_final are the MSE over all rows with P and
 * with the parameters as written (so for `dtype f16` with the f16-rounded values).
 */
import { modelOf } from '../../model/build.js';
import { readSafetensors } from '../../runtime/formats/safetensors.js';
import { checkValues, F16_MAX, ValueRangeError } from '../../runtime/numerics.js';
import { packParams } from '../../runtime/params.js';
import type { ManifestMap } from '../../manifest/types.js';
import type { Dtype } from '../../dsl/structure.js';
import { executeProgram } from '../../runtime/cpu-executor.js';
import { programOfManifest, type Backend, type MapRunner } from '../../runtime/map-runner.js';
import type { OptimizerOptions } from '../../runtime/optimizer.js';
import { MoncError } from '../../util/error.js';
import { compileSpecKernels } from '../compile-spec.js';
import type { CommandContext, CommandResult } from '../context.js';
import { note } from '../context.js';
import { readParamsFile } from '../data-files.js';
import { checkOutputPath, writeAtomic } from '../files.js';
import { findMap } from '../load-spec.js';
import { gatherRows, miniBatches } from '../minibatches.js';
import { progress } from '../progress.js';
import { float32StateGuard } from '../optimizer-range.js';
import { readInputRows, readPairedRows, type Rows } from '../training-data.js';
import { manifestMapOf, openTrainingRunner, withRunner } from '../training-runner.js';

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
  const optimizer = optimizerOptions(opts);
  if (opts.steps < 1) throw new MoncError('user', `--steps must be at least 1, got ${opts.steps}`);
  if (opts.batch !== undefined && opts.batch < 1) throw new MoncError('user', `--batch must be at least 1, got ${opts.batch}`);
  // Training may run for hours: an --out that cannot be written is refused before any of it.
  // (--out may be --params: fine-tuning in place replaces the parameter file.)
  const outInputs = { inputs: [file, opts.input, opts.target] };
  checkOutputPath(opts.out, outInputs);
  const spec = await compileSpecKernels(ctx, file);
  const map = findMap(spec, opts.map);
  const params = await readParamsFile(opts.params, modelOf(map).params);
  const x = await readInputRows(opts.input, map);
  const target = await readPairedRows(opts.target, 'target', x, map);
  const batch = Math.min(opts.batch ?? x.rows, x.rows);
  if (opts.batch !== undefined && opts.batch > x.rows) note(ctx, `--batch ${opts.batch} is more than the ${x.rows} rows of ${opts.input}: each step uses all rows`);

  const manifestMap = manifestMapOf(spec, map);
  const mseOf = (tensors: ReadonlyMap<string, ArrayLike<number>>) => fileMse(manifestMap, spec.module.dtype, tensors, x, target.data);
  const lossInitial = mseOf(params);
  if (!Number.isFinite(lossInitial)) throw new MoncError('value', `the loss with ${opts.params} is ${lossInitial} before any step; nothing written`);

  const runner = await openTrainingRunner(ctx, spec, map, opts.backend);
  const bytes = await withRunner(runner, async () => {
    runner.loadParams(params);
    await trainSteps(ctx, runner, x.data, target.data, { in: map.in, out: map.out, rows: x.rows, batch, steps: opts.steps, seed: opts.seed, optimizer, dtype: spec.module.dtype });
    return runner.saveParams();
  });
  // The loss of the parameters as written (read back: f16 rounding included).
  const lossFinal = mseOf(new Map([...readSafetensors(bytes).tensors].map(([name, t]) => [name, t.data])));
  if (!Number.isFinite(lossFinal)) throw new MoncError('value', `the loss became ${lossFinal} after step ${opts.steps}; ${opts.out} not written (try a smaller --lr)`);
  const trained = { bytes, lossInitial, lossFinal };
  await writeAtomic(opts.out, trained.bytes, outInputs);

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
      `wrote ${opts.out} (${dtype})`,
    ].join('\n'),
  };
}

interface Loop {
  readonly in: number;
  readonly out: number;
  readonly rows: number;
  readonly batch: number;
  readonly steps: number;
  readonly seed: number;
  readonly optimizer: OptimizerOptions;
  readonly dtype: Dtype;
}

/** The optimisation loop; stops with a user error at the first step whose loss is not finite. */
async function trainSteps(ctx: CommandContext, runner: MapRunner, x: Float32Array, target: Float32Array, loop: Loop): Promise<void> {
  const optimizer = runner.createOptimizer(loop.optimizer);
  const nextRows = miniBatches(loop.rows, loop.batch, loop.seed);
  const bar = progress(ctx, 'train');
  const shown = progressSteps(loop.steps, ctx.io.stderrIsTty === true);
  // The cpu backend's state is float64; webgpu's is float32, whose range a huge gradient exceeds.
  const stateRange = runner.backend === 'webgpu' ? float32StateGuard(loop.optimizer) : undefined;
  try {
    for (let step = 1; step <= loop.steps; step++) {
      const picked = nextRows();
      const xb = picked ? gatherRows(x, loop.in, picked) : x;
      const tb = picked ? gatherRows(target, loop.out, picked) : target;
      const rows = picked ? picked.length : loop.rows;
      const y = await runner.forward(xb, rows);
      const loss = meanSquaredError(y, tb);
      if (!Number.isFinite(loss)) {
        throw new MoncError('value', `the loss became ${loss} at step ${step} of ${loop.steps}; stopped, nothing written (try a smaller --lr)`);
      }
      const { grads } = await runner.backward(xb, mseOutputGradient(y, tb), rows);
      const outOfRange = stateRange?.(grads);
      if (outOfRange !== undefined) {
        throw new MoncError('value', `${outOfRange} (step ${step} of ${loop.steps}); stopped, nothing written (scale the input and target down, or use --backend cpu)`);
      }
      await optimizer.step();
      await refuseUnloadableParams(runner, loop.dtype, step, loop.steps);
      if (shown(step)) bar.update(step, loop.steps, `loss ${formatLoss(loss)}`);
    }
  } finally {
    bar.finish();
  }
}

/**
 * The parameters after a step must be ones monc can load (finite, and within ±65504 in an f16
 * module; numerics.ts): an update that leaves that range is this step diverging (too large an
 * lr), not a bad parameter file, so it stops here, naming the step, before anything is saved.
 */
async function refuseUnloadableParams(runner: MapRunner, dtype: Dtype, step: number, steps: number): Promise<void> {
  const params = await runner.params();
  for (const entry of runner.map.params) {
    try {
      checkValues(params.get(entry.name)!, dtype, `parameter tensor '${entry.name}'`, entry.shape);
    } catch (e) {
      if (!(e instanceof ValueRangeError)) throw e;
      const what = dtype === 'f16' ? `overflowed the f16 range (±${F16_MAX})` : 'became non-finite';
      throw new MoncError('value', `the parameters ${what} at step ${step} of ${steps} (${e.message}); stopped, nothing written (try a smaller --lr)`);
    }
  }
}

/** Steps that report progress: every ~1% on a terminal (the bar), every ~10% as plain lines. */
function progressSteps(steps: number, tty: boolean): (step: number) => boolean {
  const parts = tty ? 100 : 10;
  return (step) => step === steps || Math.floor((step * parts) / steps) > Math.floor(((step - 1) * parts) / steps);
}

/**
 * The MSE of a parameter set over all rows, in float64 on the CPU whatever the backend (the
 * program executor keeps every intermediate in float64): the number anyone recomputes from the
 * parameter file, even when it is far below float32's rounding of Y.
 */
function fileMse(map: ManifestMap, dtype: Dtype, tensors: ReadonlyMap<string, ArrayLike<number>>, x: Rows, target: Float32Array): number {
  const y = executeProgram(programOfManifest(map, dtype), packParams(map.params, map.paramSize, tensors), x.data, x.rows);
  return meanSquaredError(y, target);
}

/** mean((y − t)²), accumulated in float64. */
function meanSquaredError(y: ArrayLike<number>, t: ArrayLike<number>): number {
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

function optimizerOptions(opts: TrainCommandOptions): OptimizerOptions {
  const { lr, momentum, weightDecay } = opts;
  if (!Number.isFinite(lr) || lr < 0) throw new MoncError('user', `--lr must be a finite non-negative number, got ${lr}`);
  if (weightDecay !== undefined && (!Number.isFinite(weightDecay) || weightDecay < 0)) throw new MoncError('user', `--weight-decay must be a finite non-negative number, got ${weightDecay}`);
  if (momentum !== undefined && opts.optimizer !== 'sgd') throw new MoncError('user', `--momentum applies to --optimizer sgd, not ${opts.optimizer}`);
  if (momentum !== undefined && !(momentum >= 0 && momentum < 1)) throw new MoncError('user', `--momentum must be in [0, 1), got ${momentum}`);
  const decay = weightDecay === undefined ? {} : { weightDecay };
  return opts.optimizer === 'sgd' ? { kind: 'sgd', lr, momentum: momentum ?? 0, ...decay } : { kind: opts.optimizer, lr, ...decay };
}

/** Six significant digits; small losses in exponent form (1.34351e-5, not 0.0000134351). */
function formatLoss(loss: number): string {
  const plain = loss === 0 || !Number.isFinite(loss) || (Math.abs(loss) >= 1e-3 && Math.abs(loss) < 1e6);
  return plain ? String(Number(loss.toPrecision(6))) : loss.toExponential(5).replace(/\.?0+e/, 'e');
}
