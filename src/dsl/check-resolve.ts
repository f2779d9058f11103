/**
 * Resolves a map expression: constructor names and their arguments, references to other maps,
 * the place of `bias()` (only a term of the map's top-level sum), and the rule that every map and
 * every sum term has a weighted factor (monc never emits a kernel that only moves data).
 */
import type { MapExpr } from './ast.js';
import { Args, checkArgs } from './check-args.js';
import { checkCombinations } from './check-combinations.js';
import type { ConstEnv } from './check-consts.js';
import { Code } from './codes.js';
import type { DiagnosticBag } from './diagnostics.js';
import { constructors, patterns } from './signatures.js';
import type { Span } from './span.js';
import { didYouMean, type Suggester } from './suggest.js';

/** A resolved map expression: leaves are checked constructor calls and references. */
export type RNode =
  | { readonly kind: 'leaf'; readonly ctor: string; readonly args: Args; readonly span: Span }
  | { readonly kind: 'ref'; readonly map: string; readonly span: Span }
  | { readonly kind: 'sum'; readonly terms: readonly RNode[]; readonly span: Span }
  | { readonly kind: 'chain'; readonly factors: readonly RNode[]; readonly span: Span };

export interface ResolveContext {
  readonly env: ConstEnv;
  readonly bag: DiagnosticBag;
  readonly maps: ReadonlySet<string>;
  /** Maps whose statements were dropped for their errors: a reference to one is no error of its own. */
  readonly dropped: ReadonlySet<string>;
  /** The map whose expression this is: never the suggestion for an unknown name in it. */
  readonly defining: string;
  readonly consts: ReadonlySet<string>;
  readonly suggester: Suggester;
}

/** The resolved expression, or undefined when it has errors (all of them reported). */
export function resolveExpr(e: MapExpr, ctx: ResolveContext): RNode | undefined {
  const node = resolve(e, ctx, 'root');
  if (!node) return undefined;
  return checkWeighted(node, ctx.bag) ? node : undefined;
}

/** Where an expression sits: `bias()` may only be a term of the root sum. */
type Role = 'root' | 'top-term' | 'inner';

function resolve(e: MapExpr, ctx: ResolveContext, role: Role): RNode | undefined {
  switch (e.kind) {
    case 'sum': {
      const terms = e.terms.map((t) => resolve(t, ctx, role === 'root' ? 'top-term' : 'inner'));
      return terms.every((t) => t !== undefined) ? { kind: 'sum', terms: terms as RNode[], span: e.span } : undefined;
    }
    case 'chain': {
      const factors = e.factors.map((f) => resolve(f, ctx, 'inner'));
      return factors.every((f) => f !== undefined) ? { kind: 'chain', factors: factors as RNode[], span: e.span } : undefined;
    }
    case 'mapref':
      return resolveRef(e.name, e.span, ctx);
    case 'call': {
      const name = e.callee.name;
      const sig = constructors.get(name);
      if (!sig) {
        const notes = patterns.has(name)
          ? [{ message: `'${name}' is a sparsity pattern: use it as sparse(block: …, pattern: ${name}(…))` }]
          : [{ message: `constructors: ${[...constructors.keys()].join(', ')}` }];
        ctx.bag.error(Code.UnknownConstructor, `unknown constructor '${name}'${didYouMean(name, constructors.keys())}`, e.callee.span, notes);
        return undefined;
      }
      const args = checkArgs(e, sig, ctx.env, ctx.bag);
      if (name === 'bias' && role !== 'top-term') {
        ctx.bag.error(Code.BiasPlacement, 'bias() is only allowed as a term of the map\'s top-level sum, as in `monarch(nblocks: 4) + bias()`', e.span);
        return undefined;
      }
      return args && checkCombinations(name, args, ctx.bag) ? { kind: 'leaf', ctor: name, args, span: e.span } : undefined;
    }
  }
}

function resolveRef(name: string, span: Span, ctx: ResolveContext): RNode | undefined {
  if (ctx.maps.has(name)) return { kind: 'ref', map: name, span };
  if (ctx.dropped.has(name)) return undefined;
  let message = `unknown map '${name}'`;
  if (constructors.has(name)) message += `; to use the constructor, call it: ${name}(…)`;
  else if (ctx.consts.has(name)) message += `; '${name}' is a constant, not a map`;
  else message += ctx.suggester.didYouMean(name, othersThan(ctx.maps, ctx.defining));
  ctx.bag.error(Code.UnknownMap, message, span);
  return undefined;
}

function* othersThan(names: Iterable<string>, self: string): Iterable<string> {
  for (const name of names) if (name !== self) yield name;
}

/** A map expression (and each term of each sum) must contain a weighted factor. */
function checkWeighted(root: RNode, bag: DiagnosticBag): boolean {
  let ok = true;
  const require = (n: RNode, what: string) => {
    if (hasWeights(n)) return;
    ok = false;
    const note = hasTranspose(n)
      ? 'monc never emits a kernel that only moves data: compose the permutation with a weighted factor, e.g. blockdiag(nblocks: 4) @ transpose(4, 8)'
      : 'a bias alone is not a linear map: add a weighted term, e.g. dense() + bias()';
    bag.error(Code.OnlyPermutations, `${what} has no weighted factor`, n.span, [{ message: note }]);
  };
  const visitSums = (n: RNode) => {
    if (n.kind === 'sum') {
      for (const t of n.terms) {
        if (!(t.kind === 'leaf' && t.ctor === 'bias')) require(t, 'this term of the sum');
        visitSums(t);
      }
    } else if (n.kind === 'chain') {
      n.factors.forEach(visitSums);
    }
  };
  require(root, 'this map');
  visitSums(root);
  return ok;
}

function hasWeights(n: RNode): boolean {
  switch (n.kind) {
    case 'leaf':
      return n.ctor !== 'transpose' && n.ctor !== 'bias';
    case 'ref':
      return true;
    case 'sum':
      return n.terms.some(hasWeights);
    case 'chain':
      return n.factors.some(hasWeights);
  }
}

function hasTranspose(n: RNode): boolean {
  switch (n.kind) {
    case 'leaf':
      return n.ctor === 'transpose';
    case 'ref':
      return false;
    case 'sum':
      return n.terms.some(hasTranspose);
    case 'chain':
      return n.factors.some(hasTranspose);
  }
}
