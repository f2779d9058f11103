/**
 * Shape inference of one map (SPEC §3): a constructor takes its sizes from context. Sizes are
 * solved as equalities (size-solver.ts) in this order, so that a mismatch is reported where it is
 * made: what each factor fixes by itself (`in:`/`out:`, transpose, ks, monarch with radices,
 * references), then the sums and chains from the inside out, then the map's declaration, then
 * square constructors (butterfly, monarch(order), diag) carry a known side to the other one.
 */
import type { RNode } from './check-resolve.js';
import { productWithin } from './check-consts.js';
import { Code } from './codes.js';
import type { DiagnosticBag, DiagnosticNote } from './diagnostics.js';
import { SizeSolver, type SizeConflict, type SizeOrigin, type SizeVar } from './size-solver.js';
import type { Span } from './span.js';

export interface Shape {
  readonly in: number;
  readonly out: number;
}

export interface MapDeclaration {
  readonly name: string;
  readonly in: number;
  readonly out: number;
  readonly span: Span;
}

type Leaf = Extract<RNode, { kind: 'leaf' }>;

/** Constructors whose matrix is square by definition but whose size comes from context. */
function isSquare(leaf: Leaf): boolean {
  return leaf.ctor === 'butterfly' || leaf.ctor === 'diag' || (leaf.ctor === 'monarch' && (leaf.args.has('order') || leaf.args.has('radices')));
}

export function callText(leaf: Leaf): string {
  const text = leaf.args.call.args.length === 0 ? '' : '…';
  return `${leaf.ctor}(${text})`;
}

/** The sizes of every node of `root`, or undefined after reporting why they cannot be found. */
export function inferShapes(
  root: RNode,
  decl: MapDeclaration,
  refShape: (map: string) => Shape,
  bag: DiagnosticBag,
): Map<RNode, Shape> | undefined {
  const solver = new SizeSolver();
  const vars = new Map<RNode, { in: SizeVar; out: SizeVar }>();
  const leaves: Leaf[] = [];
  let ok = true;
  const conflict = (c: SizeConflict | undefined, report: (c: SizeConflict) => void) => {
    if (!c) return;
    ok = false;
    report(c);
  };

  // Variables; a sum shares its first term's sizes, a chain its ends'.
  const assign = (n: RNode): { in: SizeVar; out: SizeVar } => {
    let v: { in: SizeVar; out: SizeVar };
    switch (n.kind) {
      case 'leaf':
        leaves.push(n);
        v = { in: solver.fresh(), out: solver.fresh() };
        break;
      case 'ref':
        v = { in: solver.fresh(), out: solver.fresh() };
        break;
      case 'sum': {
        const terms = n.terms.map(assign);
        v = terms[0];
        break;
      }
      case 'chain': {
        const factors = n.factors.map(assign);
        v = { in: factors[factors.length - 1].in, out: factors[0].out };
        break;
      }
    }
    vars.set(n, v);
    return v;
  };
  assign(root);
  const varsOf = (n: RNode) => vars.get(n)!;

  // 1. What each factor fixes by itself.
  const intrinsic = (n: RNode) => {
    if (n.kind === 'sum') return n.terms.forEach(intrinsic);
    if (n.kind === 'chain') return n.factors.forEach(intrinsic);
    const v = varsOf(n);
    if (n.kind === 'ref') {
      const s = refShape(n.map);
      const origin = { span: n.span, what: `map '${n.map}' (${s.in} -> ${s.out})` };
      solver.fix(v.in, s.in, origin);
      solver.fix(v.out, s.out, origin);
      return;
    }
    const own = ownShape(n, bag);
    if (own === 'overflow') {
      ok = false;
      return;
    }
    // The constructor's own sizes first, then its `in:`/`out:`: a wrong one is reported at it, once, and the size stays
    // the constructor's for what comes after (QA1 s29 Q803: the declaration agreeing with the constructor was a second
    // E0502 for the same size).
    if (own) for (const side of ['in', 'out'] as const) solver.fix(v[side], own[side], { span: n.span, what: own.what });
    for (const side of ['in', 'out'] as const) {
      const given = n.args.int(side);
      if (given === undefined) continue;
      // A leaf's sizes are its own until step 2: what an `in:`/`out:` can conflict with is the constructor's size.
      conflict(solver.fix(v[side], given, { span: n.args.span(side), what: `'${side}: ${given}'` }), (c) =>
        bag.error(Code.ShapeMismatch, `'${side}: ${given}' does not match ${own!.what}, which ${side === 'in' ? 'takes' : 'produces'} ${c.a}`, n.args.span(side)),
      );
    }
  };
  intrinsic(root);

  // 2. Sums and chains, inside out.
  const structure = (n: RNode) => {
    if (n.kind === 'sum') {
      n.terms.forEach(structure);
      const first = varsOf(n.terms[0]);
      n.terms.slice(1).forEach((t) => {
        for (const side of ['in', 'out'] as const) {
          conflict(solver.unify(first[side], varsOf(t)[side]), (c) =>
            bag.error(
              Code.ShapeMismatch,
              `the terms of a sum must have the same shape: this term ${verb(side)} ${c.b} ${noun(side)}, the terms before it ${c.a}`,
              t.span,
              originNotes(c),
            ),
          );
        }
      });
    } else if (n.kind === 'chain') {
      n.factors.forEach(structure);
      for (let i = 0; i + 1 < n.factors.length; i++) {
        const left = n.factors[i];
        const right = n.factors[i + 1];
        conflict(solver.unify(varsOf(left).in, varsOf(right).out), (c) =>
          bag.error(Code.ShapeMismatch, `'@' does not fit: the left-hand side takes ${c.a} inputs but the right-hand side produces ${c.b} outputs`, left.span, [
            { message: `the right-hand side, applied first, produces ${c.b} outputs`, span: right.span },
            ...originNotes(c),
          ]),
        );
      }
    }
  };
  structure(root);

  // 3. The declaration.
  const declared: SizeOrigin = { span: decl.span, what: `the declaration of map '${decl.name}' (${decl.in} -> ${decl.out})` };
  for (const side of ['in', 'out'] as const) {
    conflict(solver.fix(varsOf(root)[side], decl[side], declared), (c) =>
      bag.error(
        Code.ShapeMismatch,
        `map '${decl.name}' is declared ${decl.in} -> ${decl.out}, but its expression ${verb(side)} ${c.a} ${noun(side)}`,
        root.span,
        [...(c.originA ? [{ message: `${c.a} comes from ${c.originA.what}`, span: c.originA.span }] : []), { message: 'declared here', span: decl.span }],
      ),
    );
  }
  if (!ok) return undefined;

  // 4. Square constructors carry a known side to the other one, until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (const leaf of leaves.filter(isSquare)) {
      const v = varsOf(leaf);
      const vi = solver.value(v.in);
      const vo = solver.value(v.out);
      const origin = { span: leaf.span, what: `${callText(leaf)}, which is square` };
      if (vi !== undefined && vo === undefined) solver.fix(v.out, vi, origin);
      else if (vo !== undefined && vi === undefined) solver.fix(v.in, vo, origin);
      else continue;
      changed = true;
    }
  }

  // 5. Every leaf's sizes must be known, and square ones square. One size nothing fixes is one E0501, at the first
  // constructor it is a side of: a square constructor whose sides are both unknown is one size through it (QA1 s28 Q702:
  // `dense() @ diag() @ diag() @ dense()` gave three, each with another place to add 'in: N', where one fixes them all).
  const through = new Map<SizeVar, SizeVar>();
  const sizeOf = (v: SizeVar): SizeVar => {
    let root = solver.find(v);
    while (through.has(root)) root = through.get(root)!;
    return root;
  };
  for (const leaf of leaves.filter(isSquare)) {
    const [a, b] = [sizeOf(varsOf(leaf).in), sizeOf(varsOf(leaf).out)];
    if (a !== b && solver.value(a) === undefined) through.set(a, b);
  }
  const reported = new Set<SizeVar>();
  for (const leaf of leaves) {
    const v = varsOf(leaf);
    for (const side of ['in', 'out'] as const) {
      const root = sizeOf(v[side]);
      if (solver.value(root) !== undefined || reported.has(root)) continue;
      reported.add(root);
      ok = false;
      bag.error(
        Code.CannotInfer,
        `cannot infer the number of ${noun(side)} of ${callText(leaf)}: nothing around it fixes it; add '${side}: N' to it`,
        leaf.span,
      );
    }
    const vi = solver.value(v.in);
    const vo = solver.value(v.out);
    if (isSquare(leaf) && vi !== undefined && vo !== undefined && vi !== vo) {
      ok = false;
      bag.error(Code.NotSquare, `${callText(leaf)} needs a square shape (n = m), but here it maps ${vi} -> ${vo}`, leaf.span);
    }
  }
  if (!ok) return undefined;

  const shapes = new Map<RNode, Shape>();
  for (const [n, v] of vars) shapes.set(n, { in: solver.value(v.in)!, out: solver.value(v.out)! });
  return shapes;
}

function verb(side: 'in' | 'out'): string {
  return side === 'in' ? 'takes' : 'produces';
}

function noun(side: 'in' | 'out'): string {
  return side === 'in' ? 'inputs' : 'outputs';
}

function originNotes(c: SizeConflict): DiagnosticNote[] {
  const notes: DiagnosticNote[] = [];
  if (c.originA) notes.push({ message: `${c.a} comes from ${c.originA.what}`, span: c.originA.span });
  if (c.originB) notes.push({ message: `${c.b} comes from ${c.originB.what}`, span: c.originB.span });
  return notes;
}

/**
 * The shape a constructor fixes by itself, from its own arguments; 'overflow' (reported) when it
 * exceeds the integer limit.
 */
function ownShape(leaf: Leaf, bag: DiagnosticBag): (Shape & { what: string }) | undefined | 'overflow' {
  const a = leaf.args;
  let dims: { in: readonly number[]; out: readonly number[]; what: string } | undefined;
  switch (leaf.ctor) {
    case 'transpose': {
      const r = a.int('r')!;
      const c = a.int('c')!;
      dims = { in: [r, c], out: [r, c], what: `transpose(${r}, ${c})` };
      break;
    }
    case 'ks': {
      const [ka, kb, kc, kd] = ['a', 'b', 'c', 'd'].map((k) => a.int(k)!);
      dims = { in: [ka, kc, kd], out: [ka, kb, kd], what: `ks(a: ${ka}, b: ${kb}, c: ${kc}, d: ${kd})` };
      break;
    }
    case 'monarch': {
      const radices = a.ints('radices');
      const radix = a.int('radix');
      const order = a.int('order');
      if (radices) dims = { in: radices, out: radices, what: `monarch(radices: [${radices.join(', ')}])` };
      else if (radix !== undefined && order !== undefined) {
        const factors = Array<number>(order).fill(radix);
        dims = { in: factors, out: factors, what: `monarch(order: ${order}, radix: ${radix})` };
      }
      break;
    }
  }
  if (!dims) return undefined;
  const n = productWithin(dims.in);
  const m = productWithin(dims.out);
  if (n === undefined || m === undefined) {
    bag.error(Code.Overflow, `integer overflow: the size of ${dims.what} exceeds 2147483647`, leaf.span);
    return 'overflow';
  }
  return { in: n, out: m, what: dims.what };
}
