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
 * (backwardFlowProblem), nor through other index maps than the model's transposes folded (Expressions: values are
 * compared through the permutations both sides apply; s26 OPEN-a: a map edited to another permutation ran on the CPU
 * backend, which follows it, and not on WebGPU, whose kernels have theirs compiled in, 5.2 apart).
 */
import type { ModelNode, ParamSlice } from '../model/types.js';
import { assertNever } from '../util/assert.js';
import { indexMapTable, invertStep, mergeSteps, normalizeStep, type AxisPermutation, type IndexMap } from './index-map.js';
import type { BackwardOpData, OpData, WeightGradShape } from './program.js';

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
 * A permutation, as Expressions interns it: read through it, a value v becomes u with u[k] = v[table[k]] (its gather
 * table: an index map's, indexMapTable); 0 is the identity.
 */
type Perm = number;

/** A permutation Expressions holds: its index map's steps where it is one step (the key it is found by), its table once made. */
interface Held {
  readonly size: number;
  readonly step?: AxisPermutation;
  table?: Int32Array;
}

/**
 * Linear expressions, interned so that equal expressions have one id: a sum of terms, each an atom (the map's input x,
 * the output gradient dy, a bias, a weighted factor applied to a value) read through a permutation (Perm). Terms are
 * sorted (addition does not care about their order: a sum's bias rides on whichever op of it the compiler chose), and a
 * permutation of a sum is the sum of its terms permuted: so the ops' index maps, which fold the model's transposes (and
 * a K factor's split of its blocks into a and d) wherever the compiler put them, meet the model's transposes as equal
 * values exactly where the two compute the same thing.
 *
 * Permutations are interned by their tables' entries, but a table is made only where no other way tells: one step (a
 * transpose, a K factor's split, an op's one-step map, their inverses, and two steps whose digits line up composed into
 * one: mergeSteps) is found by its canonical form (stepKey), which no other step has (a step's table gives its canonical
 * form back: see stepKey), so it is compared entry by entry only with permutations held as tables (a composition that is
 * no one step, a map's steps that do not merge, their inverses). A 16384-wide map's tables, made and keyed as text at
 * every use, were most of decodeManifest's 86 ms (s26); a 14-stage butterfly's compositions, tabulated and compared,
 * most of its 95-240 ms first decode (s27).
 */
class Expressions {
  private readonly ids = new Map<string, number>();
  private readonly terms = new Map<number, readonly (readonly [number, Perm])[]>();
  private readonly atoms = new Map<string, number>();
  /** The permutations by Perm (0: the identity, of any size). */
  private readonly held: Held[] = [{ size: 0 }];
  /** Perms by size (a table is compared with those of its size, most of which differ in their first entries). */
  private readonly bySize = new Map<number, Perm[]>();
  /** Perms already found: one step (stepKey), an inverse (`-p`), a composition (`p t`). */
  private readonly found = new Map<string, Perm>();

  private value(terms: readonly (readonly [number, Perm])[]): number {
    const sorted = [...terms].sort((p, q) => p[0] - q[0] || p[1] - q[1]);
    const key = sorted.map(([a, t]) => `${a}:${t}`).join(',');
    let id = this.ids.get(key);
    if (id === undefined) {
      this.ids.set(key, (id = this.ids.size));
      this.terms.set(id, sorted);
    }
    return id;
  }

  private atom(key: string): number {
    let id = this.atoms.get(key);
    if (id === undefined) this.atoms.set(key, (id = this.atoms.size));
    return this.value([[id, 0]]);
  }

  /** What `key` names, made by `make` the first time. */
  private memo(key: string, make: () => Perm): Perm {
    let p = this.found.get(key);
    if (p === undefined) this.found.set(key, (p = make()));
    return p;
  }

  /**
   * The Perm of `held`: an equal one's where there is one. A table is made only to compare: one step (canonical, as
   * stepKey keeps it) is not the identity, nor any other step than its own key's, so it is compared only with the
   * permutations of its size held as tables.
   */
  private intern(held: Held): Perm {
    const same = this.bySize.get(held.size) ?? [];
    const others = held.step ? same.filter((p) => !this.held[p].step) : same;
    if (!held.step || others.length > 0) {
      const t = (held.table ??= indexMapTable({ size: held.size, steps: held.step ? [held.step] : [] }));
      if (isIdentity(t)) return 0;
      const found = others.find((p) => sameEntries(this.tableOf(p), t));
      if (found !== undefined) return found;
    }
    this.bySize.set(held.size, [...same, this.held.length]);
    return this.held.push(held) - 1;
  }

  private tableOf(p: Perm): Int32Array {
    const held = this.held[p];
    return (held.table ??= indexMapTable({ size: held.size, steps: [held.step!] }));
  }

  /** The permutation of one index map step (an axis permutation of [0, size)). */
  step(size: number, step: AxisPermutation): Perm {
    const canonical = normalizeStep(step);
    return canonical === null ? 0 : this.memo(stepKey(canonical), () => this.intern({ size, step: canonical }));
  }

  /** The permutation of index map `m` (its gather table is the map's): its steps composed, steps[0] first. */
  map(m: IndexMap): Perm {
    return m.steps.reduce<Perm>((p, step) => this.composed(p, this.step(m.size, step)), 0);
  }

  inverse(p: Perm): Perm {
    if (p === 0) return 0;
    const { size, step } = this.held[p];
    // One step's inverse is one step: its result's digits put back.
    if (step) return this.step(size, invertStep(step));
    return this.memo(`-${p}`, () => {
      const t = this.tableOf(p);
      const inv = new Int32Array(size);
      for (let k = 0; k < size; k++) inv[t[k]] = k;
      return this.intern({ size, table: inv });
    });
  }

  input(): number {
    return this.atom('x');
  }

  outputGradient(): number {
    return this.atom('dy');
  }

  bias(slice: ParamSlice): number {
    return this.atom(`bias ${sliceText(slice)}`);
  }

  /** The map `factor` names (factorName) applied to `value`. */
  applied(factor: string, value: number): number {
    return this.atom(`${factor}(${value})`);
  }

  sum(a: number, b: number): number {
    return this.value([...this.terms.get(a)!, ...this.terms.get(b)!]);
  }

  /** `value` read through `p`: each term's permutation T becomes k -> T[p[k]]. */
  gather(p: Perm, value: number): number {
    if (p === 0) return value;
    return this.value(this.terms.get(value)!.map(([a, t]) => [a, this.composed(p, t)] as const));
  }

  /** Read through p, then t: k -> T[P[k]]. Two steps whose digits line up are one step (mergeSteps). */
  private composed(p: Perm, t: Perm): Perm {
    if (t === 0) return p;
    if (p === 0) return t;
    return this.memo(`${p} ${t}`, () => {
      const [first, second] = [this.held[p], this.held[t]];
      const merged = first.step && second.step ? mergeSteps(first.step, second.step) : undefined;
      if (merged !== undefined) return merged === null ? 0 : this.step(first.size, merged);
      const [outer, inner] = [this.tableOf(p), this.tableOf(t)];
      const table = new Int32Array(outer.length);
      for (let k = 0; k < outer.length; k++) table[k] = inner[outer[k]];
      return this.intern({ size: outer.length, table });
    });
  }
}

/**
 * A canonical step's key (normalizeStep: axes of 1 left out, axes that stay next to each other in order merged; a K
 * factor's split of a 16384-wide map, K(1, 128, 128, 128), is transpose(128, 128)'s step). Two canonical steps of one
 * size are one permutation only where their keys are equal: the table gives the form back. The last digit's size is
 * the first k > 0 with table[k] ≠ k·table[1] (at k = that size the next result digit starts, whose place in the argument
 * is not the one just above the last digit's, or the two would be one), table[1] its place; and so on through the
 * result's digits, whose places order them as the argument's (canonical-steps.test.ts checks it on every step up to 64).
 */
function stepKey(canonical: AxisPermutation): string {
  return `step ${canonical.shape.join(',')} / ${canonical.perm.join(',')}`;
}

function isIdentity(t: Int32Array): boolean {
  for (let k = 0; k < t.length; k++) if (t[k] !== k) return false;
  return true;
}

function sameEntries(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * K(a, b, c, d) as K(a·d, b, c, 1) between two permutations (its blocks z = α·d + δ, weights W[z, β, γ] whatever the
 * split: cpu-executor.ts runKs): its input read through `in` (canonical z·c + γ from α·c·d + γ·d + δ: digits (α, δ, γ)
 * to (α, γ, δ)), its output through `out` (α·b·d + β·d + δ from z·b + β: digits (α, β, δ) to (α, δ, β)). A re-split
 * K(a', b, c, d') with a'·d' = a·d is the same K(a·d, b, c, 1) between others, so the ops and the model compare whatever
 * split each has. Identities where d = 1.
 */
function ksPerms(k: { readonly a: number; readonly b: number; readonly c: number; readonly d: number }, e: Expressions): { readonly in: Perm; readonly out: Perm } {
  const { a, b, c, d } = k;
  return { in: e.step(a * c * d, { shape: [a, d, c], perm: [0, 2, 1] }), out: e.step(a * b * d, { shape: [a, b, d], perm: [0, 2, 1] }) };
}

/** transpose(r, c): y[j·r + i] = x[i·c + j], digits (j, i) to (i, j). */
const transposePerm = (r: number, c: number, e: Expressions): Perm => e.step(r * c, { shape: [c, r], perm: [1, 0] });

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
 * The flow of values through model node `n` applied to `value`: it pushes what each weighted factor is applied to
 * (canonical: read through ksPerms' `in`) onto `factorInputs` (in modelFactors' order), and `back` records each
 * factor's and bias's use in `uses`. Factors are named by their weights (factorName): a backward program recomputes and
 * transposes them in its own order. A transpose permutes (the ops fold it into their index maps).
 */
function modelFlow(n: ModelNode, value: number, e: Expressions, factorInputs: number[], uses: Use[]): Flow {
  switch (n.kind) {
    case 'ks':
    case 'bsr': {
      const t = n.kind === 'ks' ? ksPerms(n, e) : { in: 0, out: 0 };
      const input = e.gather(t.in, value);
      factorInputs.push(input);
      return {
        out: e.gather(t.out, e.applied(factorName(n.weight, false), input)),
        back: (gradient) => {
          const outputGradient = e.gather(e.inverse(t.out), gradient);
          uses.push(use(n.weight, outputGradient, input));
          return e.gather(e.inverse(t.in), e.applied(factorName(n.weight, true), outputGradient));
        },
      };
    }
    case 'bias':
      return {
        out: e.bias(n.param),
        back: (gradient) => {
          uses.push(use(n.param, gradient));
          return undefined;
        },
      };
    case 'transpose': {
      const t = transposePerm(n.r, n.c, e);
      return { out: e.gather(t, value), back: (gradient) => e.gather(e.inverse(t), gradient) };
    }
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

/** What a weighted op, or a weight gradient's forward shape, applies its factor to, read from `source` through its input map (canonical: ksPerms). */
function opInput(op: WeightGradShape, source: number, e: Expressions): number {
  return e.gather(op.kind === 'ks' ? ksPerms(op, e).in : 0, e.gather(e.map(op.input), source));
}

/** The gradient of a weighted op's factor output (canonical: ksPerms), read from the output gradient `dy` through its output map. */
function opOutputGradient(op: WeightGradShape, dy: number, e: Expressions): number {
  return e.gather(op.kind === 'ks' ? e.inverse(ksPerms(op, e).out) : 0, e.gather(e.map(op.output), dy));
}

/** The value a forward-kind op (of either program) leaves in its destination, given the values `held` in buffers. */
function opResult(op: OpData, held: Map<string, number>, e: Expressions): number {
  let value = op.kind === 'bias' ? e.bias(op.param) : e.gather(op.kind === 'ks' ? ksPerms(op, e).out : 0, e.applied(factorName(op.weight, op.transposed === true), opInput(op, held.get(op.src)!, e)));
  if (op.kind !== 'bias' && op.bias) value = e.sum(value, e.bias(op.bias));
  // Logical output l is written at output(l): the destination reads it through the inverse.
  value = e.gather(e.inverse(e.map(op.output)), value);
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
      if (opInput(op, held.get(op.src)!, e) !== factorInputs[factor]) {
        const holder = [...held].find(([, v]) => opInput(op, v, e) === factorInputs[factor])?.[0];
        // Also the right buffer read through another index map than the model's transposes (s26 OPEN-a): the CPU backend
        // follows the op's maps, the WebGPU kernels have theirs compiled in (a permutation swapped ran 5.2 off).
        const through = op.input.steps.length > 0 ? ' through its input index map' : '';
        return `.ops[${i}]: reads '${op.src}'${through}, not what the model's weighted factor ${factor} reads (${holder === undefined ? 'no buffer holds that here' : `'${holder}' holds it here`})`;
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
        const wanted = use(op.forward.weight, opOutputGradient(op.forward, held.get(op.dy)!, e), opInput(op.forward, held.get(op.src)!, e));
        if (!uses.some((u) => u.key === wanted.key)) return `.backward.ops[${i}]: the weight gradient of ${sliceText(op.forward.weight)} reads '${op.src}' and '${op.dy}', not the input and output gradient of a use of those weights in the model`;
        partials.set(op.dst, () => wanted);
        break;
      }
      case 'bgrad': {
        const gradient = e.gather(e.map(op.output), held.get(op.dy)!);
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
