/**
 * `project`: from a dense matrix W (out × in) to the parameters of a map whose matrix M is closest
 * to W in Frobenius norm (SPEC §5 `monc project`, §6), read from the map's model. Closed forms
 * where they exist (one factor, two factors with Monarch-like supports, a low-rank pair up to a
 * size), documented heuristics elsewhere; see docs/projection.md. Browser-safe: no Node built-ins.
 */
import type { ModelMap, ModelNode } from '../model/types.js';
import { assertNever } from '../util/assert.js';
import { FormatError } from '../runtime/formats/format-error.js';
import { checkOptionNames } from '../runtime/user-error.js';
import { MoncError } from '../util/error.js';
import { describeValue } from '../util/describe-value.js';
import { shapeText } from '../util/shape-text.js';
import { PRECISION_TOLERANCE } from '../util/precision.js';
import { ProjectionError } from './errors.js';
import { memo, zeroTensors, type Fit, type FitOptions } from './fit.js';
import { squaredDistance, squaredNorm } from './linalg/dense.js';
import { fitLowrank, isLowrankPair } from './lowrank.js';
import { fitProduct } from './product.js';
import { fitSum } from './sum.js';
import { modelDense } from './model-dense.js';
import { roundingChanged, STORED_OPTIMUM_TOLERANCE, storedParams, type StorageDtype } from './storage.js';
import { applyScaling, projectionExponent, scalingPlan, timesPowerOfTwo } from './scale.js';
import { residualConfirmed } from './verify.js';
import { EXACT } from './refine.js';
import { MAX_SEED } from '../util/random.js';

export interface ProjectOptions {
  /** Seed of the randomized parts: the range finder of large lowrank terms, and the random factors with orthonormal blocks a chain with a free part is solved against. Default 0. */
  readonly seed?: number | undefined;
  /** Rounds of the iterative heuristics (sums: default 30 to 1000 by size, stopping once converged; chain refinement: default up to 200 within a budget of multiply-adds, else 0, and 10 per refit as a term of a sum). */
  readonly maxRounds?: number | undefined;
  /** Power iterations of the randomized range finder. Default 1. */
  readonly powerIterations?: number | undefined;
  /**
   * The precision the parameters will be stored in (the module's dtype): `params` come back
   * rounded to it, `relativeError` and `optimal` describe those rounded parameters, and a value
   * it cannot hold (beyond ±65504 in f16) is a ProjectionError. Default: none (float64).
   */
  readonly storage?: StorageDtype | undefined;
  /**
   * The precision W's values were rounded to before they became these numbers (f16 or bf16 data read into a
   * Float32Array is still f16's or bf16's rounding): a heuristic that comes within that precision's tolerance of W
   * has reached it (`heuristic` false), as no M can come closer to what W was. Default: 'f32' for a Float32Array,
   * else 'f64'. `monc project` passes its data file's dtype.
   */
  readonly precision?: SourcePrecision | undefined;
}

export interface ProjectionResult {
  /** Every parameter tensor of the structure (SPEC §4 names), float64, row-major. */
  readonly params: Map<string, Float64Array>;
  /** ‖W − M‖_F / ‖W‖_F (0 when W = 0), M being that of `params` (rounded to `storage` when given). */
  readonly relativeError: number;
  readonly paramCount: number;
  /** out · in. */
  readonly denseParamCount: number;
  readonly method: string;
  /** True when the result is the exact optimum (a closed form); with `storage`, the optimum rounded to it, within that precision's tolerance. */
  readonly optimal: boolean;
  /**
   * True when a heuristic found M (a sum of weighted terms, a chain other than one butterfly or
   * monarch without a free part solved to W) and it did not reach W (to the tolerance of W's
   * `precision`: 1e-9 relative for f64, 1e-5 for f32, its own rounding being that far from any M): its error
   * may be above the smallest the structure reaches, even when W is in the structure. `monc
   * project` warns (W0801).
   */
  readonly heuristic: boolean;
}

/** What projection reads of a map: its parameter tensors and its body (a ModelMap has both). */
export type ProjectedModel = Pick<ModelMap, 'params' | 'body'>;

/** The shape (out, in) the dense matrix must have. */
export function denseShape(model: ProjectedModel): [number, number] {
  requireModel(model);
  return [model.body.out, model.body.in];
}

/**
 * Throws a one-line MoncError unless `model` looks like a map's model (callers in plain JS, or
 * with a manifest parsed from JSON, get no type check): undefined is what a manifest map written
 * by an older monc holds (kind 'format': rebuild it), anything else without a body is a mistake
 * of the caller's (kind 'user').
 */
function requireModel(model: ProjectedModel | undefined): asserts model is ProjectedModel {
  if (model === undefined) {
    throw new FormatError('no model to project onto: the manifest map was built by an older monc; rebuild the module with this version');
  }
  const m = model as Partial<ProjectedModel> | null;
  const body = m?.body as Partial<ModelNode> | undefined;
  if (typeof m !== 'object' || m === null || !Array.isArray(m.params) || typeof body?.kind !== 'string' || typeof body.in !== 'number' || typeof body.out !== 'number') {
    throw new MoncError('user', `project() takes a map's model (a manifest map's \`model\`, or modelOf(checkedMap)); got ${describe(model)}`);
  }
}

/** A few words about a value that is not a model, for the error message. */
function describe(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  const keys = Object.keys(v).slice(0, 5);
  return keys.length === 0 ? 'an object without fields' : `an object with fields ${keys.join(', ')}${Object.keys(v).length > keys.length ? ', …' : ''}`;
}

/** Throws a ProjectionError unless `shape` is the map's (out, in). */
export function checkDenseShape(model: ProjectedModel, shape: readonly number[]): void {
  const [out, inp] = denseShape(model);
  // From plain JavaScript a shape may be anything (QA2 s26 Q553: undefined or {} threw a raw TypeError at .length).
  if (!Array.isArray(shape)) throw new ProjectionError(`dense matrix shape must be an array (out, in), got ${describeValue(shape)}`);
  if (shape.length !== 2 || shape[0] !== out || shape[1] !== inp) {
    throw new ProjectionError(`dense matrix has shape ${shapeText(shape)} but '${model.body.path}' expects (${out}, ${inp}) = (out, in)`);
  }
}

/** Throws a ProjectionError, locating the first value, unless every value of W (out × in, row-major) is finite. */
export function checkDenseValues(model: ProjectedModel, w: ArrayLike<number>): void {
  const inp = denseShape(model)[1];
  for (let i = 0; i < w.length; i++) {
    const v = w[i];
    if (!Number.isFinite(v)) {
      throw new ProjectionError(`dense matrix has ${v} at (${Math.floor(i / inp)}, ${i % inp}): projection needs finite values`);
    }
  }
}

/** ProjectOptions' names, which a call checks its options against. */
const PROJECT_OPTIONS = ['seed', 'maxRounds', 'powerIterations', 'storage', 'precision'] as const;

/**
 * From JavaScript: `options` is an object whose names are ProjectOptions' (a misspelt one, `sead`
 * or `Storage`, would leave the default in place silently: QA2 s13 R22); `fn` names the call.
 */
export function checkProjectOptions(fn: string, options: unknown): asserts options is ProjectOptions {
  if (typeof options !== 'object' || options === null) throw new MoncError('user', `${fn} takes its options as an object { ${PROJECT_OPTIONS.join(', ')} }, not ${describeValue(options)}`);
  checkOptionNames(fn, options, PROJECT_OPTIONS);
}

/**
 * The precision W's values were held in before they reached project (ProjectOptions.precision): a data file's dtype
 * (`<f2` is f16). Integers and booleans count as f64, which holds them exactly.
 */
export type SourcePrecision = 'f64' | 'f32' | 'f16' | 'bf16';

/**
 * How close a heuristic must come to W (relative) to have reached it, by W's precision: W is W only to its own rounding,
 * so coming that close is all any M can do. f64: finer than stored parameters; f32 and f16 (2^-24 and 2^-11 per value):
 * their tolerances; bf16 (2^-8 per value, up to 3.9e-3 relative): 1e-2.
 */
const REACHED_TOLERANCE: Readonly<Record<SourcePrecision, number>> = { f64: Math.sqrt(EXACT), f32: PRECISION_TOLERANCE.f32, f16: PRECISION_TOLERANCE.f16, bf16: 1e-2 };

export function project(model: ProjectedModel, w: ArrayLike<number>, options: ProjectOptions = {}): ProjectionResult {
  const [out, inp] = denseShape(model);
  // From JavaScript anything may come: an array of numbers, and a storage and precision monc has.
  if (typeof w !== 'object' || w === null || typeof w.length !== 'number') throw new MoncError('user', `project() takes W as an array of numbers (out × in, row-major), not ${describeValue(w)}`);
  checkProjectOptions('project()', options);
  if (options.storage !== undefined && options.storage !== 'f32' && options.storage !== 'f16') throw new ProjectionError(`option storage must be 'f32' or 'f16', got ${describeValue(options.storage)}`);
  if (options.precision !== undefined && !Object.hasOwn(REACHED_TOLERANCE, options.precision)) throw new ProjectionError(`option precision must be 'f64', 'f32', 'f16' or 'bf16', got ${describeValue(options.precision)}`);
  const source = options.precision ?? (w instanceof Float32Array ? 'f32' : 'f64');
  if (w.length !== out * inp) {
    throw new ProjectionError(`dense matrix has ${w.length} values but '${model.body.path}' expects shape (${out}, ${inp}) = (out, in), ${out * inp} values`);
  }
  // W is only read: a Float64Array is used as it is, anything else is converted once.
  const given = w instanceof Float64Array ? w : float64Of(w);
  checkDenseValues(model, given);
  // A W of entries far from 1 is projected as W·2^-e, and what is found scaled back (scale.ts);
  // every error below is measured on the scaled problem (relative errors do not change).
  const exponent = projectionExponent(given);
  const plan = exponent === 0 ? [] : scalingPlan(model.body, exponent);
  if (!plan) {
    throw new ProjectionError(`dense matrix entries reach 2^${exponent} (beyond 2^±200), and '${model.body.path}' ties its parameters so that no split of that scale over its tensors scales M by it (a map used both alone and in a chain): scale W first`);
  }
  const target = exponent === 0 ? given : given.map((v) => timesPowerOfTwo(v, -exponent));
  const toW = (params: ReadonlyMap<string, Float64Array>) => (exponent === 0 ? new Map(params) : applyScaling(params, plan, 1));
  const fromW = (params: ReadonlyMap<string, Float64Array>) => (exponent === 0 ? new Map(params) : applyScaling(params, plan, -1));
  let norm2 = 0;
  for (let i = 0; i < target.length; i++) norm2 += target[i] * target[i];
  for (const [name, value] of [['seed', options.seed], ['maxRounds', options.maxRounds], ['powerIterations', options.powerIterations]] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) throw new ProjectionError(`option ${name} must be a non-negative integer, got ${describeValue(value)}`);
  }
  // The generator takes 32 bits: 2^32 would run as 0 (QA1 s21 Q06).
  if (options.seed !== undefined && options.seed > MAX_SEED) throw new ProjectionError(`option seed must be at most 2^32 - 1 (${MAX_SEED}), the generator's 32 bits, got ${options.seed}`);
  const sizes = new Map(model.params.map((p) => [p.name, p.shape.reduce((a, b) => a * b, 1)]));
  const fitOptions: FitOptions = { seed: options.seed ?? 0, maxRounds: options.maxRounds, powerIterations: options.powerIterations ?? 1, sizes };
  let fit = fitNode(model.body, target, fitOptions);
  let error2 = fit.residual2;
  // Reaching W (to 1e-9, finer than stored parameters) is the best any method can do; so is a chain's rank floor.
  const unreached = error2 > EXACT * norm2;
  const floorRank = unreached && !fit.optimal ? fit.rankFloor?.() : undefined;
  // A rounded W is W only to its own rounding: a heuristic within its precision's tolerance of it reached it (QA s20 Q93:
  // a sum's W saved as float32, as `monc dense` writes it, warned at 2.9e-8; session 20: f16 data at 1.3e-4).
  const reachedW = error2 <= REACHED_TOLERANCE[source] ** 2 * norm2;
  const heuristic = !reachedW && !fit.exactInClass && floorRank === undefined;
  // Never worse than zero parameters, which every structure can hold. Their M is 0 but for products without parameters
  // (transposes only), which it keeps: a fit of `transpose(4, 4)` worse than ‖W‖ is the best there is (P25-1: zero
  // parameters were reported at relative error 1, and gave the permutation's 1.05). Built only when the fit is worse than 0.
  const zeroParams = zeroTensors(model.body, fitOptions);
  const zeroError2 = memo(() => squaredDistance(target, modelDense(model.body, zeroParams)));
  if (error2 > norm2 && error2 > zeroError2()) {
    fit = { params: zeroParams, approx: () => modelDense(model.body, zeroParams), residual2: zeroError2(), method: `zero (the fit, ${fit.method}, was worse)`, optimal: false, exactInClass: false };
    error2 = zeroError2();
  }
  // In the model's parameter order (what paramsOf lists and files are written in).
  const scaledFound = new Map(model.params.map((p) => [p.name, fit.params.get(p.name) ?? new Float64Array(sizes.get(p.name)!)]));
  const found = toW(scaledFound);
  // Scaled back, a parameter of a W near float64's limit can pass it (a factor's entries × 2^e).
  for (const [name, t] of found) {
    const i = t.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) throw new ProjectionError(`the projected parameter tensor '${name}' holds ${t[i]} at element ${i}: beyond float64's range; scale W down`);
  }
  const relative = (e2: number): number => (norm2 === 0 ? Math.sqrt(e2) : Math.sqrt(e2 / norm2));
  let params = found;
  // `params` as the scaled problem sees them: what its errors are measured with.
  let scaledParams = scaledFound;
  let method = floorRank === undefined ? fit.method : `${fit.method}: the Eckart–Young error at the chain's rank ${floorRank}, optimal`;
  let optimal = fit.optimal || floorRank !== undefined;
  if (options.storage !== undefined) {
    params = storedParams(found, new Map(model.params.map((p) => [p.name, p.shape])), options.storage);
    if (roundingChanged(found, params)) {
      scaledParams = fromW(params);
      // The error reported is that of the parameters as stored, measured on their M.
      const stored2 = squaredDistance(target, modelDense(model.body, scaledParams));
      const change = `its relative error ${Number(relative(error2).toPrecision(3))} became ${Number(relative(stored2).toPrecision(3))}`;
      if (stored2 > norm2 && stored2 > zeroError2()) {
        // Never worse than zero as stored either, which every storage holds exactly (QA1 s23 Q202: f16 flushed or
        // rounded to its smallest subnormal a butterfly's factors of 2^-25 for a W of entries near 1e-30: 2.5).
        params = new Map(model.params.map((p) => [p.name, new Float64Array(sizes.get(p.name)!)]));
        scaledParams = params;
        method = `zero (the fit, ${method}, was worse stored as ${options.storage}: ${change})`;
        optimal = false;
        error2 = zeroError2();
      } else {
        if (optimal && relative(stored2) - relative(error2) > STORED_OPTIMUM_TOLERANCE[options.storage]) {
          method += ` (stored as ${options.storage}, ${change}: not claimed optimal)`;
          optimal = false;
        }
        error2 = stored2;
      }
    }
  }
  // Never a non-finite error reported, let alone called optimal: the scaling above keeps the
  // projectors' arithmetic in range, so this is a bug, not the user's W.
  if (!Number.isFinite(relative(error2))) throw new Error(`internal error: the projection onto '${model.body.path}' gave relative error ${relative(error2)}`);
  // No `optimal: true` without an independent recomputation of the residual it rests on.
  const confirmed = !optimal || residualConfirmed(model.body, scaledParams, target, error2, norm2);
  return {
    params,
    relativeError: relative(error2),
    paramCount: [...sizes.values()].reduce((a, b) => a + b, 0),
    denseParamCount: out * inp,
    method: confirmed ? method : `${method} (its residual did not survive an independent recomputation: not claimed optimal)`,
    optimal: optimal && confirmed,
    heuristic,
  };
}

/**
 * W converted to float64 once, each element taken as a number (unary plus: '2' is 2, as the runtime takes its inputs);
 * an element that does not convert (a BigInt, any element of a BigInt64Array, a valueOf that throws, whatever it
 * throws) is a MoncError of kind 'user' that says what the conversion threw (QA1 s23 Q203: a bare TypeError).
 */
function float64Of(w: ArrayLike<number>): Float64Array {
  try {
    return Float64Array.from(w);
  } catch (e) {
    // The elements are at fault only if they fail to convert again, with no array made (REV s23 3); if they convert, the
    // error was the host's (a RangeError: no memory for the copy of a large W), reported as it is.
    try {
      [].forEach.call(w as never, (v: number) => +v);
    } catch (conversion) {
      throw new MoncError('user', `project() takes W as an array of numbers (out × in, row-major): converting it threw ${String(conversion)}`);
    }
    throw e;
  }
}

function fitNode(n: ModelNode, target: Float64Array, options: FitOptions): Fit {
  switch (n.kind) {
    case 'tied':
      return fitNode(n.body, target, options);
    case 'bias':
      return { params: zeroTensors(n, options), approx: () => new Float64Array(target.length), residual2: squaredNorm(target), method: 'bias: zero', optimal: true, exactInClass: true };
    case 'sum':
      return fitSum(n, target, options, fitNode);
    case 'chain':
      return isLowrankPair(n) ? fitLowrank(n, target, options) : fitProduct(n, target, options);
    case 'ks':
    case 'bsr':
    case 'transpose':
      return fitProduct(n, target, options);
    default:
      return assertNever(n, 'model node');
  }
}
