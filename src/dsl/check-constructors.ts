/**
 * One constructor with its sizes known: the divisibility and power conditions of SPEC §3, the
 * defaults (monarch's nblocks and radix), and the resulting structure node.
 */
import type { RNode } from './check-resolve.js';
import { buildSparse, type SparseContext } from './check-sparse.js';
import { callText } from './check-shapes.js';
import { Code, MAX_INT } from './codes.js';
import { paramsOf, tensorElements } from './params.js';
import { monarchInnerSize, type Structure } from './structure.js';
import { exactInteger } from '../util/json.js';

type Leaf = Extract<RNode, { kind: 'leaf' }>;

export function buildLeaf(leaf: Leaf, n: number, m: number, path: string, ctx: SparseContext): Structure | undefined {
  const node = construct(leaf, n, m, path, ctx);
  return node && withinTensorLimit(node, leaf, ctx) ? node : undefined;
}

function construct(leaf: Leaf, n: number, m: number, path: string, ctx: SparseContext): Structure | undefined {
  const { bag } = ctx;
  const a = leaf.args;
  const span = leaf.span;
  const base = { in: n, out: m, path, span };
  const divides = (k: number, what: string): boolean => {
    const bad = [n % k !== 0 ? `the number of inputs ${n}` : '', m % k !== 0 ? `the number of outputs ${m}` : ''].filter(Boolean);
    if (bad.length === 0) return true;
    bag.error(Code.NotDivisible, `${what} ${k} does not divide ${bad.join(' nor ')}`, a.has('nblocks') ? a.span('nblocks') : span);
    return false;
  };
  switch (leaf.ctor) {
    case 'dense':
      return { kind: 'dense', ...base };
    case 'diag':
      return { kind: 'diag', ...base };
    case 'bias':
      return { kind: 'bias', ...base };
    case 'ks':
      return { kind: 'ks', ...base, a: a.int('a')!, b: a.int('b')!, c: a.int('c')!, d: a.int('d')! };
    case 'transpose':
      return { kind: 'transpose', ...base, r: a.int('r')!, c: a.int('c')! };
    case 'blockdiag': {
      const k = a.int('nblocks')!;
      return divides(k, 'nblocks') ? { kind: 'blockdiag', ...base, nblocks: k } : undefined;
    }
    case 'lowrank': {
      const rank = a.int('rank')!;
      if (rank >= Math.min(n, m)) {
        bag.warning(Code.RankNotSmaller, `lowrank(rank: ${rank}) is not more efficient than dense() here: the rank is not below min(${n}, ${m})`, a.span('rank'));
      }
      return { kind: 'lowrank', ...base, rank };
    }
    case 'butterfly': {
      const radix = a.int('radix') ?? 2;
      const levels = exactLog(n, radix);
      if (levels === undefined || levels < 1) {
        bag.error(Code.NotAPower, `butterfly(radix: ${radix}) needs the size to be a power of ${radix} (at least ${radix}), but it is ${n}`, span);
        return undefined;
      }
      const stride = (a.word('stride') ?? 'increasing') as 'increasing' | 'decreasing';
      return { kind: 'butterfly', ...base, radix, levels, stride };
    }
    case 'sparse':
      return buildSparse(a, n, m, path, span, ctx);
    case 'monarch':
      return a.has('nblocks') || !(a.has('order') || a.has('radices')) ? monarch(leaf, n, m, base, ctx, divides) : monarchOrder(leaf, n, base, ctx);
    default:
      throw new Error(`internal error: constructor ${leaf.ctor} has no builder`);
  }
}

function monarch(leaf: Leaf, n: number, m: number, base: { in: number; out: number; path: string; span: Leaf['span'] }, ctx: SparseContext, divides: (k: number, what: string) => boolean): Structure | undefined {
  let k = leaf.args.int('nblocks');
  if (k === undefined) {
    const root = Math.round(Math.sqrt(n));
    if (n !== m || root * root !== n) {
      const why = n !== m ? `it maps ${n} -> ${m}` : `${n} is not a perfect square`;
      ctx.bag.error(Code.NblocksNeeded, `monarch() needs 'nblocks:' here: the default √n needs a square map of perfect-square size, and ${why}`, leaf.span);
      return undefined;
    }
    k = root;
  } else if (!divides(k, 'nblocks')) {
    return undefined;
  }
  const p = n / k;
  const s = m / k;
  const qr = monarchInnerSize(p, s);
  return { kind: 'monarch', ...base, nblocks: k, p, q: qr, r: qr, s };
}

function monarchOrder(leaf: Leaf, n: number, base: { in: number; out: number; path: string; span: Leaf['span'] }, ctx: SparseContext): Structure | undefined {
  const a = leaf.args;
  const given = a.ints('radices');
  if (given) return { kind: 'monarch_order', ...base, radices: given }; // sizes already matched in shape inference
  const order = a.int('order')!;
  const radix = a.int('radix') ?? integerRoot(n, order);
  if (radix === undefined || radix < 2) {
    ctx.bag.error(
      Code.NotAPower,
      `monarch(order: ${order}) needs the size to be b^${order} for an integer b >= 2, but it is ${n}; give 'radices: [b1, …]' whose product is ${n}`,
      leaf.span,
    );
    return undefined;
  }
  return { kind: 'monarch_order', ...base, radices: Array<number>(order).fill(radix) };
}

/** L with base^L = n exactly, if any. */
export function exactLog(n: number, base: number): number | undefined {
  let levels = 0;
  let acc = 1;
  while (acc < n) {
    acc *= base;
    levels++;
  }
  return acc === n ? levels : undefined;
}

/** The integer b with b^p = n exactly, if any. */
export function integerRoot(n: number, p: number): number | undefined {
  const guess = Math.round(n ** (1 / p));
  for (const b of [guess - 1, guess, guess + 1]) {
    if (b < 1) continue;
    let acc = 1;
    for (let i = 0; i < p && acc <= n; i++) acc *= b;
    if (acc === n) return b;
  }
  return undefined;
}

function withinTensorLimit(node: Structure, leaf: Leaf, ctx: SparseContext): boolean {
  for (const p of paramsOf(node)) {
    const elements = tensorElements(p.shape);
    if (elements > BigInt(MAX_INT)) {
      ctx.bag.error(Code.TensorTooLarge, `parameter tensor '${p.name}' of ${callText(leaf)} would have ${exactInteger(elements)} elements, more than the limit ${MAX_INT}`, leaf.span);
      return false;
    }
  }
  return true;
}
