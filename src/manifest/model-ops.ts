/**
 * A manifest carries each map twice: its `ops` (what the runner computes) and its `model` (what the
 * float64 reference, projection and the gradients' oracle read). Lowering (src/ir) keeps every
 * weighted factor of the model, in order (chain stages as applied, sum terms as written, a tied
 * map's body at each use), as one op reading the same weight slice; it may re-split a K(a,b,c,d)
 * into K(a',b,c,d') with a'·d' = a·d (canonicalize-blocks), and a bias rides on another op of its
 * sum. So a file whose model and ops disagree there was edited by hand: refused (QA2 s14 R35: a
 * stage's slice moved within its tensor, or two stages swapped, ran and disagreed with the
 * reference by 1.3-2.6). Nor may an op read another buffer than the value its factor applies to in
 * the model (QA2 s24 Q351: a butterfly stage reading `x` in place of the stage before it ran on the
 * CPU, which follows `src`, while the fused WebGPU kernel computed the model), nor a backward op
 * (backwardFlowProblem). Not compared: the ops' index maps (which fold the model's transposes), and
 * a K factor's split into a and d beyond their product.
 */
import type { ModelNode, ParamSlice } from '../model/types.js';
import { assertNever } from '../util/assert.js';
import type { BackwardOpData, OpData } from './program.js';

/** A weighted factor as both sides describe it: the op or model node where it is, and what must agree. */
interface Factor {
  readonly at: string;
  readonly kind: 'ks' | 'bsr';
  readonly weight: ParamSlice;
  /** ks: b, c and a·d; bsr: bh, bw and the block count. */
  readonly shape: string;
  /** bsr: its blocks (compared one by one: there may be millions). */
  readonly blocks?: readonly (readonly [number, number])[];
}

const sliceText = (s: ParamSlice) => `${s.tensor}[${s.offset}:${s.offset + s.length}]`;

type Weighted = { kind: 'ks'; a: number; b: number; c: number; d: number; weight: ParamSlice } | { kind: 'bsr'; bh: number; bw: number; blocks: readonly (readonly [number, number])[]; weight: ParamSlice };

function factor(n: Weighted, at: string): Factor {
  if (n.kind === 'ks') return { at, kind: n.kind, weight: n.weight, shape: `b ${n.b}, c ${n.c}, a·d ${n.a * n.d}` };
  return { at, kind: n.kind, weight: n.weight, shape: `${n.blocks.length} blocks of ${n.bh}×${n.bw}`, blocks: n.blocks };
}

const sameBlocks = (m: Factor, o: Factor) => !m.blocks || !o.blocks || m.blocks.every(([i, j], z) => o.blocks![z][0] === i && o.blocks![z][1] === j);

function modelFactors(body: ModelNode): { factors: Factor[]; biases: string[] } {
  const factors: Factor[] = [];
  const biases: string[] = [];
  const visit = (n: ModelNode, at: string): void => {
    switch (n.kind) {
      case 'ks':
      case 'bsr':
        factors.push(factor(n, at));
        return;
      case 'bias':
        biases.push(sliceText(n.param));
        return;
      case 'transpose':
        return;
      case 'chain':
        n.stages.forEach((s, i) => visit(s, `${at}.stages[${i}]`));
        return;
      case 'sum':
        n.terms.forEach((t, i) => visit(t, `${at}.terms[${i}]`));
        return;
      case 'tied':
        visit(n.body, `${at}.body`);
        return;
      default:
        assertNever(n, 'model node');
    }
  };
  visit(body, '.model.body');
  return { factors, biases };
}

/** The first place where the model's weighted factors and biases are not those its ops compute, as a path suffix and message. */
export function modelOpsProblem(body: ModelNode, ops: readonly OpData[]): string | undefined {
  const model = modelFactors(body);
  const opBiases: string[] = [];
  const opFactors: Factor[] = [];
  ops.forEach((op, i) => {
    if (op.kind === 'bias') opBiases.push(sliceText(op.param));
    else {
      opFactors.push(factor(op, `.ops[${i}]`));
      if (op.bias) opBiases.push(sliceText(op.bias));
    }
  });
  for (let z = 0; z < Math.max(model.factors.length, opFactors.length); z++) {
    const m = model.factors[z];
    const o = opFactors[z];
    if (!m) return `${o.at}: its ${o.kind} factor is not in the model (which has ${model.factors.length} weighted factors)`;
    if (!o) return `${m.at}: the model's ${m.kind} factor ${z} is computed by no op (the ops have ${opFactors.length})`;
    const what = (f: Factor) => `${f.kind} ${sliceText(f.weight)} (${f.shape})`;
    if (m.kind !== o.kind || sliceText(m.weight) !== sliceText(o.weight) || m.shape !== o.shape) {
      return `${m.at}: the model's weighted factor ${z} is ${what(m)}, but the ops' (${o.at.slice(1)}) is ${what(o)}`;
    }
    if (!sameBlocks(m, o)) return `${m.at}.blocks: not the blocks of ${o.at.slice(1)}, which computes it`;
  }
  const sorted = (list: string[]) => JSON.stringify([...list].sort());
  if (sorted(model.biases) !== sorted(opBiases)) return `.model: its biases (${model.biases.join(', ') || 'none'}) are not the ops' (${opBiases.join(', ') || 'none'})`;
  return dataFlowProblem(body, ops);
}

/**
 * Linear expressions, interned so that equal expressions have one id: the map's input x, the output gradient dy, a bias,
 * a weighted factor applied to a value, or a sum, whose terms are flattened and sorted (addition does not care about
 * their order: a sum's bias rides on whichever op of it the compiler chose).
 */
class Expressions {
  private readonly ids = new Map<string, number>();
  private readonly terms = new Map<number, readonly number[]>();

  private id(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) this.ids.set(key, (id = this.ids.size));
    return id;
  }

  input(): number {
    return this.id('x');
  }

  outputGradient(): number {
    return this.id('dy');
  }

  bias(slice: ParamSlice): number {
    return this.id(`bias ${sliceText(slice)}`);
  }

  /** The map `factor` names (factorName) applied to `value`. */
  applied(factor: string, value: number): number {
    return this.id(`${factor}(${value})`);
  }

  sum(a: number, b: number): number {
    const terms = [...(this.terms.get(a) ?? [a]), ...(this.terms.get(b) ?? [b])].sort((p, q) => p - q);
    const id = this.id(`+${terms.join(',')}`);
    this.terms.set(id, terms);
    return id;
  }
}

/** The weighted factor with weights `w`, read as they are (F) or transposed (T). */
const factorName = (w: ParamSlice, transposed: boolean) => `${transposed ? 'T' : 'F'} ${sliceText(w)}`;

/** A use of parameters in the model, as its gradient reads it: weights `w` applied to `input`, or a bias (no input), with `gradient` the gradient of its output. */
interface Use {
  readonly tensor: string;
  readonly key: string;
}

const use = (slice: ParamSlice, gradient: number, input?: number): Use => ({ tensor: sliceText(slice), key: `${sliceText(slice)} ${input === undefined ? 'bias' : `on ${input}`}, gradient ${gradient}` });

/** A model node's value, and for the gradient of that value its input's gradient (undefined: none, a bias's). */
interface Flow {
  readonly out: number;
  readonly back: (gradient: number) => number | undefined;
}

/**
 * The flow of values through model node `n` applied to `value`: it pushes what each weighted factor is applied to onto
 * `factorInputs` (in modelFactors' order), and `back` records each factor's and bias's use in `uses`. Factors are named by
 * their weights (factorName): a backward program recomputes and transposes them in its own order. A transpose is the
 * identity: the ops fold it into their index maps.
 */
function modelFlow(n: ModelNode, value: number, e: Expressions, factorInputs: number[], uses: Use[]): Flow {
  switch (n.kind) {
    case 'ks':
    case 'bsr':
      factorInputs.push(value);
      return {
        out: e.applied(factorName(n.weight, false), value),
        back: (gradient) => {
          uses.push(use(n.weight, gradient, value));
          return e.applied(factorName(n.weight, true), gradient);
        },
      };
    case 'bias':
      return {
        out: e.bias(n.param),
        back: (gradient) => {
          uses.push(use(n.param, gradient));
          return undefined;
        },
      };
    case 'transpose':
      return { out: value, back: (gradient) => gradient };
    case 'chain': {
      const stages: Flow[] = [];
      for (const stage of n.stages) stages.push(modelFlow(stage, stages.length ? stages[stages.length - 1].out : value, e, factorInputs, uses));
      return { out: stages[stages.length - 1].out, back: (gradient) => stages.reduceRight<number | undefined>((g, s) => (g === undefined ? undefined : s.back(g)), gradient) };
    }
    case 'sum': {
      const terms = n.terms.map((t) => modelFlow(t, value, e, factorInputs, uses));
      const sum = (list: (number | undefined)[]) => list.reduce((a, b) => (a === undefined ? b : b === undefined ? a : e.sum(a, b)));
      return { out: sum(terms.map((t) => t.out))!, back: (gradient) => sum(terms.map((t) => t.back(gradient))) };
    }
    case 'tied':
      return modelFlow(n.body, value, e, factorInputs, uses);
    default:
      return assertNever(n, 'model node');
  }
}

/** The value a forward-kind op (of either program) leaves in its destination, given the values `held` in buffers. */
function opResult(op: OpData, held: Map<string, number>, e: Expressions): number {
  let value = op.kind === 'bias' ? e.bias(op.param) : e.applied(factorName(op.weight, op.transposed === true), held.get(op.src)!);
  if (op.kind !== 'bias' && op.bias) value = e.sum(value, e.bias(op.bias));
  return op.accumulate ? e.sum(held.get(op.dst)!, value) : value;
}

/**
 * Where the ops' data flow is not the model's, given that their weighted factors are (modelOpsProblem): the first op
 * whose source does not hold what the model applies its factor to, or a `y` left holding another sum than the model's.
 */
function dataFlowProblem(body: ModelNode, ops: readonly OpData[]): string | undefined {
  const e = new Expressions();
  const factorInputs: number[] = [];
  const output = modelFlow(body, e.input(), e, factorInputs, []).out;
  // Each source was written before it is read (programProblems), so every read finds a value.
  const held = new Map([['x', e.input()]]);
  let z = 0;
  for (const [i, op] of ops.entries()) {
    if (op.kind !== 'bias') {
      const factor = z++;
      if (held.get(op.src) !== factorInputs[factor]) {
        const holder = [...held].find(([, v]) => v === factorInputs[factor])?.[0];
        return `.ops[${i}]: reads '${op.src}', not what the model's weighted factor ${factor} reads (${holder === undefined ? 'no buffer holds that here' : `'${holder}' holds it here`})`;
      }
    }
    held.set(op.dst, opResult(op, held, e));
  }
  if (held.get('y') !== output) return `.ops: the sum they leave in 'y' is not the model's (a term is missing, repeated or written elsewhere)`;
  return undefined;
}

/**
 * Where a backward program's data flow is not the model's: a weight gradient reading another activation or output
 * gradient than a use of its weights in the model has, a bias gradient reading another output gradient than a bias
 * has, a reduce summing a partial into another slice than the weights or bias it is the gradient of (each use once),
 * a use left without one, or `dx` holding another sum than the model's input gradient. A hand edit of an op and its
 * kernel's binding together (the kernels check that their buffers are their ops') passed every other check: the CPU
 * backend ran it and gave another dx (REV s24 3: another bias or weight gradient, for bgrad's dy or reduce's grad).
 */
export function backwardFlowProblem(body: ModelNode, ops: readonly BackwardOpData[], zeroInputGradient: boolean): string | undefined {
  const e = new Expressions();
  const uses: Use[] = [];
  const inputGradient = modelFlow(body, e.input(), e, [], uses).back(e.outputGradient());
  // Each source was written before it is read (backwardProblems), so every read finds a value.
  const held = new Map([['x', e.input()], ['dy', e.outputGradient()]]);
  /** Per partial buffer: the use whose gradient the last wgrad or bgrad writing it computed (a bias's slice is the reduce's). */
  const partials = new Map<string, (slice: ParamSlice) => Use>();
  for (const [i, op] of ops.entries()) {
    switch (op.kind) {
      case 'ks':
      case 'bsr':
      case 'bias':
        held.set(op.dst, opResult(op, held, e));
        break;
      case 'wgrad': {
        const wanted = use(op.forward.weight, held.get(op.dy)!, held.get(op.src)!);
        if (!uses.some((u) => u.key === wanted.key)) return `.backward.ops[${i}]: the weight gradient of ${sliceText(op.forward.weight)} reads '${op.src}' and '${op.dy}', not the input and output gradient of a use of those weights in the model`;
        partials.set(op.dst, () => wanted);
        break;
      }
      case 'bgrad': {
        const gradient = held.get(op.dy)!;
        if (!uses.some((u) => u.key.endsWith(` bias, gradient ${gradient}`))) return `.backward.ops[${i}]: the bias gradient reads '${op.dy}', not the output gradient of a bias in the model`;
        partials.set(op.dst, (slice) => use(slice, gradient));
        break;
      }
      case 'reduce': {
        // backwardProblems: the partial was written before, and the slice has the partial's length.
        const wanted = partials.get(op.src)!(op.grad);
        const at = uses.findIndex((u) => u.key === wanted.key);
        if (at < 0 || wanted.tensor !== sliceText(op.grad)) return `.backward.ops[${i}]: sums '${op.src}' into ${sliceText(op.grad)}, which is not the slice whose gradient that partial holds`;
        uses.splice(at, 1);
        break;
      }
      default:
        assertNever(op, 'backward op');
    }
  }
  if (uses.length) return `.backward.ops: a use of ${uses[0].tensor} in the model gets no gradient`;
  if (!zeroInputGradient && held.get('dx') !== inputGradient) return `.backward.ops: the sum they leave in 'dx' is not the model's input gradient`;
  return undefined;
}
