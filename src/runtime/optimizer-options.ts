/**
 * An optimizer's options, checked with PyTorch's defaults filled in, and the Optimizer interface:
 * what a runner needs before the training code (optimizer.ts, training.ts) is loaded, so that
 * `createOptimizer` rejects bad options at once.
 */
import { assertNever } from '../util/assert.js';
import { MoncError } from '../util/error.js';
import { oneLine } from '../util/json.js';
import { checkOptionNames, isPlainObject, shown, userError } from './user-error.js';
import type { OptimizerRule } from '../manifest/optimizer.js';

export type OptimizerOptions =
  | { readonly kind: 'sgd'; readonly lr: number; readonly momentum?: number | undefined; readonly weightDecay?: number | undefined }
  | { readonly kind: 'adam' | 'adamw'; readonly lr: number; readonly beta1?: number | undefined; readonly beta2?: number | undefined; readonly eps?: number | undefined; readonly weightDecay?: number | undefined };

export interface Optimizer {
  /** Applies the gradients of the runner's last backward pass to its parameters. */
  step(): Promise<void>;
  /** The same update recorded on the caller's encoder (webgpu only). */
  encodeStep(encoder: GPUCommandEncoder): void;
  /** Steps taken so far. */
  readonly steps: number;
}

/** The options with PyTorch's defaults filled in, checked. */
export interface ResolvedOptimizer {
  readonly kernel: OptimizerRule;
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;
}

/** The optimizers' kinds, for the check of a call from JavaScript (where the type does not hold). */
const KINDS: readonly string[] = ['sgd', 'adam', 'adamw'] satisfies readonly OptimizerOptions['kind'][];

/**
 * Throws a `user` MoncError unless `o` is a plain object (not an Array, a Map…) whose kind is an optimizer's; `at` (`map 'up': `)
 * starts the message. The value is named as every runner refusal names it (shown(): QA2 s30 Q951, String() wrote a
 * string with a line break on two lines and a BigInt as a number).
 */
function checkKind(o: unknown, at: string): void {
  if (!isPlainObject(o)) throw userError(`${at}optimizer options must be an object { kind: 'sgd' | 'adam' | 'adamw', lr, … }, got ${shown(o)}`);
  const { kind } = o as { kind?: unknown };
  if (typeof kind !== 'string' || !KINDS.includes(kind)) throw userError(`${at}optimizer kind must be 'sgd', 'adam' or 'adamw', got ${typeof kind === 'string' ? oneLine(`'${kind}'`) : shown(kind)}`);
}

/**
 * SGD's momentum must lie in [0, 1): at 1 or more the velocity never decays and the steps diverge (QA2 s19 R83). The one
 * rule for it: resolveOptimizer checks an `sgd` optimizer's option here and `monc train` its `--momentum` (naming the flag)
 * before any work. Kind `user`: `<name> must be a number in [0, 1), got <momentum>`.
 */
export function checkMomentum(momentum: number, name = 'optimizer sgd: momentum'): void {
  // (0n would pass the comparisons, and fail in the first step's arithmetic.)
  if (!(typeof momentum === 'number' && momentum >= 0 && momentum < 1)) throw userError(`${name} must be a number in [0, 1), got ${shown(momentum)}`);
}

/**
 * `o` checked, its defaults filled in. `owner` (a runner's `map 'up'`) starts every message, as it starts the runner's
 * other refusals (QA2 s30 Q951).
 */
export function resolveOptimizer(o: OptimizerOptions, owner?: string): ResolvedOptimizer {
  const at = owner === undefined ? '' : `${owner}: `;
  checkKind(o, at);
  const check = (name: string, v: number, ok: boolean) => {
    if (!Number.isFinite(v) || !ok) throw userError(`${at}optimizer ${o.kind}: invalid ${name} ${shown(v)}`);
  };
  checkOptionNames(`${at}optimizer ${o.kind}`, o, o.kind === 'sgd' ? ['kind', 'lr', 'momentum', 'weightDecay'] : ['kind', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay']);
  check('lr', o.lr, o.lr >= 0);
  // Only an option left out (undefined) takes its default: null is a value, refused by its check (`eps: null` took 1e-8).
  const or = (v: number | undefined, fallback: number): number => (v === undefined ? fallback : v);
  let r: ResolvedOptimizer;
  switch (o.kind) {
    case 'sgd':
      r = { kernel: 'sgd', lr: o.lr, beta1: or(o.momentum, 0), beta2: 0, eps: 0, weightDecay: or(o.weightDecay, 0), decoupled: false };
      checkMomentum(r.beta1, `${at}optimizer sgd: momentum`);
      break;
    case 'adam':
    case 'adamw':
      r = {
        kernel: 'adam',
        lr: o.lr,
        beta1: or(o.beta1, 0.9),
        beta2: or(o.beta2, 0.999),
        eps: or(o.eps, 1e-8),
        weightDecay: or(o.weightDecay, o.kind === 'adamw' ? 0.01 : 0),
        decoupled: o.kind === 'adamw',
      };
      check('beta1', r.beta1, r.beta1 >= 0 && r.beta1 < 1);
      check('beta2', r.beta2, r.beta2 >= 0 && r.beta2 < 1);
      check('eps', r.eps, r.eps >= 0);
      break;
    default:
      return assertNever(o, 'optimizer kind');
  }
  check('weightDecay', r.weightDecay, r.weightDecay >= 0);
  return r;
}

/** The error of a synchronous training call (encodeBackward, encodeStep) before the training code is loaded. */
export function trainingNotLoaded(what: string, call: string): MoncError {
  return userError(`${what}: ${call} needs the training code: create the runner with { training: true }, or await backward() first`);
}

/**
 * The optimizer a runner hands out before its training code is loaded: `step()` loads it (a
 * dynamic import) and creates the real optimizer; `encodeStep`, being synchronous, needs it
 * loaded already (MapRunnerOptions.training, or any awaited backward() or step() before).
 */
export class DeferredOptimizer implements Optimizer {
  private inner: Optimizer | undefined;
  private loading: Promise<Optimizer> | undefined;

  constructor(
    private readonly what: string,
    /** The real optimizer, when the training code is loaded; undefined otherwise. */
    private readonly now: () => Optimizer | undefined,
    /** Loads the training code, then creates the real optimizer. */
    private readonly load: () => Promise<Optimizer>,
  ) {}

  get steps(): number {
    return this.inner?.steps ?? 0;
  }

  async step(): Promise<void> {
    if (!this.inner) {
      this.loading ??= this.load();
      this.inner ??= await this.loading;
    }
    await this.inner.step();
  }

  encodeStep(encoder: GPUCommandEncoder): void {
    this.inner ??= this.now();
    if (!this.inner) throw trainingNotLoaded(this.what, 'encodeStep');
    this.inner.encodeStep(encoder);
  }
}
