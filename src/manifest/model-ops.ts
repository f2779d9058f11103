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
 * CPU, which follows `src`, while the fused WebGPU kernel computed the model). Not compared: the
 * ops' index maps (which fold the model's transposes), and a K factor's split into a and d beyond
 * their product.
 */
import type { ModelNode, ParamSlice } from '../model/types.js';
import { assertNever } from '../util/assert.js';
import type { OpData } from './program.js';

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
 * Linear expressions in the map's input, interned so that equal expressions have one id: an input, a bias, the z-th
 * weighted factor applied to a value, or a sum, whose terms are flattened and sorted (addition does not care about
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

  bias(slice: ParamSlice): number {
    return this.id(`bias ${sliceText(slice)}`);
  }

  applied(factor: number, value: number): number {
    return this.id(`${factor}(${value})`);
  }

  sum(a: number, b: number): number {
    const terms = [...(this.terms.get(a) ?? [a]), ...(this.terms.get(b) ?? [b])].sort((p, q) => p - q);
    const id = this.id(`+${terms.join(',')}`);
    this.terms.set(id, terms);
    return id;
  }
}

/**
 * Where the ops' data flow is not the model's, given that their weighted factors are (modelOpsProblem): the first op
 * whose source does not hold what the model applies its factor to, or a `y` left holding another sum than the model's.
 * A transpose is the identity here: the ops fold it into their index maps.
 */
function dataFlowProblem(body: ModelNode, ops: readonly OpData[]): string | undefined {
  const e = new Expressions();
  /** What the model applies its z-th weighted factor to. */
  const factorInputs: number[] = [];
  const apply = (n: ModelNode, value: number): number => {
    switch (n.kind) {
      case 'ks':
      case 'bsr':
        factorInputs.push(value);
        return e.applied(factorInputs.length - 1, value);
      case 'bias':
        return e.bias(n.param);
      case 'transpose':
        return value;
      case 'chain':
        return n.stages.reduce((v, s) => apply(s, v), value);
      case 'sum':
        return n.terms.map((t) => apply(t, value)).reduce((a, b) => e.sum(a, b));
      case 'tied':
        return apply(n.body, value);
      default:
        return assertNever(n, 'model node');
    }
  };
  const output = apply(body, e.input());
  // Each source was written before it is read (programProblems), so every read finds a value.
  const held = new Map([['x', e.input()]]);
  let z = 0;
  for (const [i, op] of ops.entries()) {
    let value: number;
    if (op.kind === 'bias') value = e.bias(op.param);
    else {
      const source = held.get(op.src)!;
      if (source !== factorInputs[z]) {
        const holder = [...held].find(([, v]) => v === factorInputs[z])?.[0];
        return `.ops[${i}]: reads '${op.src}', not what the model's weighted factor ${z} reads (${holder === undefined ? 'no buffer holds that here' : `'${holder}' holds it here`})`;
      }
      value = e.applied(z++, source);
      if (op.bias) value = e.sum(value, e.bias(op.bias));
    }
    held.set(op.dst, op.accumulate ? e.sum(held.get(op.dst)!, value) : value);
  }
  if (held.get('y') !== output) return `.ops: the sum they leave in 'y' is not the model's (a term is missing, repeated or written elsewhere)`;
  return undefined;
}
