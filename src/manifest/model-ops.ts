/**
 * A manifest carries each map twice: its `ops` (what the runner computes) and its `model` (what the
 * float64 reference, projection and the gradients' oracle read). Lowering (src/ir) keeps every
 * weighted factor of the model, in order (chain stages as applied, sum terms as written, a tied
 * map's body at each use), as one op reading the same weight slice; it may re-split a K(a,b,c,d)
 * into K(a',b,c,d') with a'·d' = a·d (canonicalize-blocks), and a bias rides on another op of its
 * sum. So a file whose model and ops disagree there was edited by hand: refused (QA2 s14 R35: a
 * stage's slice moved within its tensor, or two stages swapped, ran and disagreed with the
 * reference by 1.3-2.6). Not compared: where the ops read and write (their index maps, which
 * fold the model's transposes), and a K factor's split into a and d beyond their product.
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
  return undefined;
}
