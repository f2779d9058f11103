/**
 * The layering rules of src/ (and of bench/ over it) and the check of an import graph against
 * them. A file's layer is its first folder under src/ (`src/runtime/map-runner.ts` -> `runtime`)
 * or, for a file directly in src/, its name (`src/compile-kernels.ts` -> `compile-kernels`);
 * outside src/ it is the top folder (`bench/sweep.ts` -> `bench`). A rule forbids edges from
 * some layers to others; a violation is one forbidden edge, written `from -> to` with both
 * paths, so an allow-list of violations can name exactly what is left to fix. Cycles of the
 * imports that remain in the JavaScript are violations too (a type-only import cannot make one),
 * written `cycle: a -> b -> … -> a` (the shortest cycle through the first file, in path order,
 * of each strongly connected set of files).
 */
import type { ImportGraph } from './import-graph.js';

export interface LayerRule {
  /** What the rule keeps true, in words; shown with each violation. */
  readonly name: string;
  /** The layers it constrains, or every layer but some (so a new layer is constrained too). */
  readonly from: readonly string[] | { readonly allBut: readonly string[] };
  readonly to: readonly string[];
  /**
   * Also the files `from` reaches through layers the rule does not forbid (a runtime file
   * importing src/manifest, which imports src/dsl, reaches the compiler as surely as a direct
   * import would). Those edges are reported as they are, from the file that takes the step.
   */
  readonly transitive?: boolean;
}

export interface Violation {
  /** `src/runtime/a.ts -> src/ir/b.ts`, or `cycle: src/a.ts -> src/b.ts -> src/a.ts`. */
  readonly edge: string;
  /** The names of the rules it breaks (`no import cycles` for a cycle). */
  readonly rules: readonly string[];
}

export function layerOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] !== 'src') return parts[0]; // bench/, scripts/: one layer each
  return parts.length > 2 ? parts[1] : parts[1].replace(/\.ts$/, '');
}

/** The compiler: every layer the shipped runtime must never pull into a page. */
const COMPILER = ['dsl', 'ir', 'codegen', 'compile', 'compile-kernels', 'tuner', 'project', 'export', 'interop', 'index', 'tools'];
/** Node-only code (the host layer and the shells above it). */
const HOST = ['node', 'cli', 'plugin'];

export const RULES: readonly LayerRule[] = [
  { name: 'the runtime runs manifests: it imports nothing of the compiler, the tuner, projection or the host', from: ['runtime'], to: [...COMPILER, ...HOST] },
  { name: 'what the runtime imports (manifest, model, util) reaches no compiler or host code either', from: ['runtime'], to: [...COMPILER, ...HOST], transitive: true },
  { name: 'the front end (dsl) imports nothing above it', from: ['dsl'], to: COMPILER.filter((l) => l !== 'dsl').concat('runtime', ...HOST) },
  { name: 'the IR imports nothing above it', from: ['ir'], to: ['codegen', 'compile', 'compile-kernels', 'runtime', 'tuner', 'project', 'export', 'interop', 'index', 'tools', ...HOST] },
  { name: 'codegen imports nothing above it', from: ['codegen'], to: ['compile', 'compile-kernels', 'runtime', 'tuner', 'project', 'export', 'interop', 'index', 'tools', ...HOST] },
  { name: 'the manifest format (src/manifest) is data shared by compiler and runtime: it imports only the structure model and src/util', from: ['manifest'], to: [...COMPILER, 'runtime', ...HOST] },
  { name: 'the structure model (src/model) is built from the checked structure and read by everything after it: it imports nothing after the front end', from: ['model'], to: [...COMPILER.filter((l) => l !== 'dsl'), 'runtime', ...HOST] },
  { name: 'the tuner is a compile-time tool: the runtime and the compiler below it never import it', from: ['runtime', 'codegen', 'ir', 'dsl', 'model', 'manifest'], to: ['tuner'] },
  { name: 'the CLI and the plugins are separate shells over the host layer: neither imports the other', from: ['cli'], to: ['plugin'] },
  { name: 'the CLI and the plugins are separate shells over the host layer: neither imports the other', from: ['plugin'], to: ['cli'] },
  { name: 'the shells are the top: nothing but a shell itself imports src/cli or src/plugin (the host layer, the compiler and the benchmarks use src/node, src/tools and the runtime)', from: { allBut: ['cli', 'plugin'] }, to: ['cli', 'plugin'] },
  {
    name: 'Node-only host code (src/node) stays out of the compiler, the runtime and the compile-time tools, which a page or a worker may load',
    from: ['dsl', 'ir', 'codegen', 'runtime', 'manifest', 'model', 'project', 'compile', 'compile-kernels', 'index', 'util', 'tuner', 'export', 'interop', 'tools'],
    to: HOST,
  },
];

/**
 * Where Node's built-in modules (`node:fs`, `node:path`…) may be imported: the host layer, the
 * shells over it, the benchmarks, and the one runtime entry that is Node-only by name
 * (`monc/runtime/node`'s Dawn provider). Everywhere else they would break a browser bundle.
 */
export const NODE_BUILTINS_ALLOWED = { layers: ['node', 'cli', 'plugin', 'bench', 'scripts'], files: ['src/runtime/node-device.ts'] } as const;

const NODE_BUILTIN_RULE = "Node's built-in modules only in the host layer (src/node), the shells and monc/runtime/node";

/** Imports of Node built-ins (`node:…`) outside `allowed`, written `file -> node:fs`. */
export function nodeBuiltinViolations(packages: ImportGraph, allowed: { readonly layers: readonly string[]; readonly files: readonly string[] } = NODE_BUILTINS_ALLOWED): Violation[] {
  return [...packages]
    .filter(([file]) => !allowed.layers.includes(layerOf(file)) && !allowed.files.includes(file))
    .flatMap(([file, specifiers]) => specifiers.filter((s) => s.startsWith('node:')).map((s) => ({ edge: `${file} -> ${s}`, rules: [NODE_BUILTIN_RULE] })));
}

/**
 * Every violation of `rules` in `graph` and every import cycle in `valueGraph` (the imports that
 * remain in the JavaScript; default: `graph`), sorted by edge.
 */
export function checkLayers(graph: ImportGraph, rules: readonly LayerRule[] = RULES, valueGraph: ImportGraph = graph): Violation[] {
  const found = new Map<string, string[]>();
  const add = (edge: string, rule: string) => {
    const rules = found.get(edge) ?? [];
    if (!rules.includes(rule)) rules.push(rule);
    found.set(edge, rules);
  };
  for (const rule of rules) {
    const sources = rule.transitive ? reached(graph, rule) : [...graph.keys()].filter((f) => constrains(rule, f));
    for (const file of sources) {
      for (const target of graph.get(file) ?? []) if (rule.to.includes(layerOf(target))) add(`${file} -> ${target}`, rule.name);
    }
  }
  for (const cycle of cycles(valueGraph)) add(`cycle: ${cycle.join(' -> ')}`, 'no import cycles');
  return [...found.keys()].sort().map((edge) => ({ edge, rules: found.get(edge)! }));
}

/** Whether `file` is in a layer `rule` constrains. */
function constrains(rule: LayerRule, file: string): boolean {
  const layer = layerOf(file);
  return 'allBut' in rule.from ? !rule.from.allBut.includes(layer) : rule.from.includes(layer);
}

/** The files outside `rule.from` that files of `rule.from` reach without passing through a forbidden layer. */
function reached(graph: ImportGraph, rule: LayerRule): string[] {
  const seen = new Set<string>();
  const stack = [...graph.keys()].filter((f) => constrains(rule, f));
  while (stack.length > 0) {
    const file = stack.pop()!;
    for (const target of graph.get(file) ?? []) {
      if (seen.has(target) || rule.to.includes(layerOf(target))) continue;
      seen.add(target);
      stack.push(target);
    }
  }
  return [...seen].filter((f) => !constrains(rule, f)).sort();
}

/** One cycle per strongly connected set of files (Tarjan), each the shortest one through its first file. */
export function cycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  // Iterative Tarjan: src/ is deep enough that recursion depth is not a concern, but a
  // fixture graph of any shape must not overflow either.
  for (const root of [...graph.keys()].sort()) {
    if (index.has(root)) continue;
    const work: { file: string; edges: readonly string[]; at: number }[] = [];
    const open = (file: string) => {
      index.set(file, next);
      low.set(file, next++);
      stack.push(file);
      onStack.add(file);
      work.push({ file, edges: graph.get(file) ?? [], at: 0 });
    };
    open(root);
    while (work.length > 0) {
      const top = work[work.length - 1];
      if (top.at < top.edges.length) {
        const target = top.edges[top.at++];
        if (!index.has(target)) open(target);
        else if (onStack.has(target)) low.set(top.file, Math.min(low.get(top.file)!, index.get(target)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].file;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.file)!));
      }
      if (low.get(top.file) === index.get(top.file)) {
        const component: string[] = [];
        let file: string;
        do {
          file = stack.pop()!;
          onStack.delete(file);
          component.push(file);
        } while (file !== top.file);
        const selfLoop = component.length === 1 && (graph.get(file) ?? []).includes(file);
        if (component.length > 1 || selfLoop) components.push(component.sort());
      }
    }
  }
  return components.map((c) => shortestCycle(graph, c)).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** The shortest path from the component's first file back to itself, within the component. */
function shortestCycle(graph: ImportGraph, component: readonly string[]): string[] {
  const members = new Set(component);
  const start = component[0];
  const previous = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const file = queue[i];
    for (const target of graph.get(file) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const path = [file];
        while (path[0] !== start) path.unshift(previous.get(path[0])!);
        return [...path, start];
      }
      if (!previous.has(target)) {
        previous.set(target, file);
        queue.push(target);
      }
    }
  }
  throw new Error(`internal error: no cycle through ${start} in its own component`);
}

/** Against an allow-list of known violations: the new ones (fail), and the entries fixed since (to remove from the list). */
export function againstAllowList(violations: readonly Violation[], allowed: readonly string[]): { readonly added: Violation[]; readonly fixed: string[] } {
  const allowedSet = new Set(allowed);
  const present = new Set(violations.map((v) => v.edge));
  return { added: violations.filter((v) => !allowedSet.has(v.edge)), fixed: allowed.filter((e) => !present.has(e)) };
}
