/**
 * The semantic checks of a parsed file, phase by phase: names, constants, each map's expression
 * (constructors, arguments, references), reference cycles, then shapes and constructor conditions
 * map by map, referenced maps first. A map whose own checks fail, or that refers to one that failed,
 * is not checked further, so one mistake is reported once.
 */
import type { MapDecl, SourceFile } from './ast.js';
import { ConstEnv } from './check-consts.js';
import { buildLeaf } from './check-constructors.js';
import { ExpansionLimits } from './check-limits.js';
import { checkNames } from './check-names.js';
import { orderMaps, type MapRefUse } from './check-refs.js';
import { resolveExpr, type RNode } from './check-resolve.js';
import { inferShapes, type Shape } from './check-shapes.js';
import type { MaskResolver } from './check-sparse.js';
import { Code } from './codes.js';
import type { DiagnosticBag } from './diagnostics.js';
import { spanUnion } from './span.js';
import { Suggester } from './suggest.js';
import type { CheckedMap, CheckedModule, Structure } from './structure.js';

export interface CheckOptions {
  /** Reads `sparse` mask files; without it a mask pattern is an error (the checker reads no files). */
  readonly resolveMask?: MaskResolver | undefined;
}

interface PendingMap {
  readonly decl: MapDecl;
  readonly shape?: Shape;
  readonly root?: RNode;
  readonly refs: readonly MapRefUse[];
}

export function checkModule(ast: SourceFile, bag: DiagnosticBag, options: CheckOptions = {}): CheckedModule | undefined {
  const header = checkNames(ast, bag);
  if (header.tooManyMaps) return undefined;
  const mapNames = new Set(header.maps.map((m) => m.name.name));
  const suggester = new Suggester();
  const env = new ConstEnv(bag, header.consts, mapNames, suggester);
  for (const c of header.consts) env.define(c);

  const constNames = new Set(header.consts.map((c) => c.name.name));
  const dropped = new Set(ast.dropped ?? []);
  const pending = new Map<string, PendingMap>();
  for (const decl of header.maps) {
    const shape = declaredShape(decl, env, bag);
    const root = resolveExpr(decl.expr, { env, bag, maps: mapNames, dropped, defining: decl.name.name, consts: constNames, suggester });
    pending.set(decl.name.name, { decl, shape, root, refs: root ? refsOf(root) : [] });
  }
  const order = orderMaps(
    header.maps.map((m) => m.name.name),
    new Map([...pending].map(([name, p]) => [name, p.refs])),
    bag,
  );

  const checked = new Map<string, CheckedMap>();
  const limits = new ExpansionLimits(bag);
  for (const name of order) {
    const p = pending.get(name)!;
    if (!p.root || !p.shape || !p.refs.every((r) => checked.has(r.map))) continue;
    const map = checkMap(p.decl, p.shape, p.root, checked, bag, options);
    if (!map) continue;
    const verdict = limits.admit(map, p.decl.name.span);
    // Past the module-wide expansion limit nothing more is checked: every later map would only repeat it.
    if (verdict === 'stop') break;
    if (verdict === 'ok') checked.set(name, map);
  }
  if (bag.hasErrors) return undefined;
  return { name: header.name, file: ast.file, dtype: header.dtype, consts: env.defined, maps: header.maps.map((m) => checked.get(m.name.name)!) };
}

/** A file that declares no map at all is an error (reported at its start). */
export function reportNoMap(ast: SourceFile, bag: DiagnosticBag): void {
  if (ast.statements.some((s) => s.kind === 'map')) return;
  bag.error(Code.NoMap, 'no map declared: a .mon file declares at least one map, e.g. `map f : 16 -> 16 = dense()`', {
    file: ast.file,
    start: ast.span.start,
    end: ast.span.start,
  });
}

function declaredShape(decl: MapDecl, env: ConstEnv, bag: DiagnosticBag): Shape | undefined {
  const size = (e: MapDecl['inSize']) => {
    const v = env.eval(e);
    if (v === undefined || v >= 1) return v;
    bag.error(Code.NonPositiveSize, `a map's sizes must be at least 1, but this is ${v}`, e.span);
    return undefined;
  };
  const n = size(decl.inSize);
  const m = size(decl.outSize);
  return n === undefined || m === undefined ? undefined : { in: n, out: m };
}

function refsOf(n: RNode): MapRefUse[] {
  switch (n.kind) {
    case 'leaf':
      return [];
    case 'ref':
      return [{ map: n.map, span: n.span }];
    case 'sum':
      return n.terms.flatMap(refsOf);
    case 'chain':
      return n.factors.flatMap(refsOf);
  }
}

function checkMap(decl: MapDecl, shape: Shape, root: RNode, checked: ReadonlyMap<string, CheckedMap>, bag: DiagnosticBag, options: CheckOptions): CheckedMap | undefined {
  const name = decl.name.name;
  const shapes = inferShapes(root, { name, ...shape, span: spanUnion(decl.inSize.span, decl.outSize.span) }, (m) => checked.get(m)!, bag);
  if (!shapes) return undefined;
  const ctx = { bag, resolveMask: options.resolveMask };
  // Every leaf is built (and so checked) even after one fails, so that all errors are reported.
  const build = (n: RNode, path: string): Structure | undefined => {
    const s = shapes.get(n)!;
    switch (n.kind) {
      case 'leaf':
        return buildLeaf(n, s.in, s.out, path, ctx);
      case 'ref':
        return { kind: 'ref', ...s, path: n.map, span: n.span, map: n.map, target: checked.get(n.map)!.structure };
      case 'sum': {
        const terms = n.terms.map((t, i) => build(t, `${path}.${i}`));
        return allDefined(terms) ? { kind: 'sum', ...s, path, span: n.span, terms } : undefined;
      }
      case 'chain': {
        const factors = n.factors.map((f, i) => build(f, `${path}.${i}`));
        return allDefined(factors) ? { kind: 'chain', ...s, path, span: n.span, factors } : undefined;
      }
    }
  };
  const structure = build(root, name);
  return structure ? { name, in: shape.in, out: shape.out, structure, span: decl.span } : undefined;
}

function allDefined<T>(xs: readonly (T | undefined)[]): xs is T[] {
  return xs.every((x) => x !== undefined);
}
