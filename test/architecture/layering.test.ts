/** The layering check itself, on small fixture graphs: it must catch what layers.test.ts relies on. */
import { describe, expect, it } from 'vitest';
import { importGraphOf, importsOf, importSpecifiers, packageImportsOf } from './import-graph.js';
import { againstAllowList, checkLayers, cycles, layerOf, nodeBuiltinViolations, type LayerRule } from './layering.js';

const graphOf = (edges: Record<string, readonly string[]>) => new Map(Object.entries(edges));

describe('importSpecifiers', () => {
  it('finds static, re-export, side-effect, type-only and dynamic imports, and nothing in comments or strings', () => {
    const source = [
      "/** import no from './comment.js' */",
      "import type { A } from './a.js';",
      "export * from './b.js';",
      'export { c } from "./c.js";',
      "const emitted = `import d from './template.js'`;",
      "const e = await import('./e.js');",
      "import './f.js';",
      "import g, { type H } from '../g.js';",
      "export type { I } from './i.js';",
      "import { Command } from 'commander';",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual(['./a.js', './b.js', './c.js', './e.js', './f.js', '../g.js', './i.js', 'commander']);
  });

  it('tells the imports erased from the JavaScript (types only) from the others', () => {
    const source = [
      "import type { A } from './a.js';",
      "import { type B, type C } from './b.js';",
      "import { type D, e } from './d.js';",
      "import F from './f.js';",
      "export type { G } from './g.js';",
      "export { type H } from './h.js';",
      "export * from './i.js';",
      "let j: typeof import('./j.js');",
      "const k = await import('./k.js');",
    ].join('\n');
    expect(importsOf(source).map((i) => `${i.specifier}${i.typeOnly ? ' (type)' : ''}`)).toEqual([
      './a.js (type)', './b.js (type)', './d.js', './f.js', './g.js (type)', './h.js (type)', './i.js', './j.js (type)', './k.js',
    ]);
  });
});

describe('importGraphOf', () => {
  it('resolves relative .js specifiers to the .ts files of the tree and drops packages', () => {
    const graph = importGraphOf(
      new Map([
        ['src/cli/main.ts', "import { x } from './program.js';\nimport { Command } from 'commander';\nimport { y } from '../util/json.js';"],
        ['src/cli/program.ts', "const m = await import('./commands/build.js');"],
        ['src/cli/commands/build.ts', "import type { T } from '../../dsl/structure.js';"],
        ['src/dsl/structure.ts', ''],
        ['src/util/json.ts', ''],
      ]),
    );
    expect(graph.get('src/cli/main.ts')).toEqual(['src/cli/program.ts', 'src/util/json.ts']);
    expect(graph.get('src/cli/program.ts')).toEqual(['src/cli/commands/build.ts']);
    expect(graph.get('src/cli/commands/build.ts')).toEqual(['src/dsl/structure.ts']);
  });
});

describe('checkLayers', () => {
  /** A small tree that keeps every rule: the shells over the host layer, the compiler, the runtime. */
  const clean: Record<string, readonly string[]> = {
    'src/cli/main.ts': ['src/node/files/write-outputs.ts', 'src/compile.ts', 'src/tuner/tune.ts'],
    'src/plugin/index.ts': ['src/node/mask-files.ts', 'src/compile.ts'],
    'src/node/mask-files.ts': ['src/dsl/check-sparse.ts', 'src/node/files/write-outputs.ts'],
    'src/node/files/write-outputs.ts': [],
    'src/compile.ts': ['src/codegen/manifest.ts', 'src/ir/pipeline.ts'],
    'src/tuner/tune.ts': ['src/codegen/manifest.ts', 'src/runtime/timing.ts'],
    'src/codegen/manifest.ts': ['src/ir/pipeline.ts', 'src/manifest/types.ts'],
    'src/ir/pipeline.ts': ['src/dsl/check-sparse.ts', 'src/util/assert.ts'],
    'src/dsl/check-sparse.ts': ['src/util/assert.ts'],
    'src/runtime/timing.ts': ['src/manifest/types.ts'],
    'src/runtime/map-runner.ts': ['src/manifest/types.ts', 'src/runtime/timing.ts'],
    'src/manifest/types.ts': ['src/util/assert.ts'],
    'src/util/assert.ts': [],
  };
  const withEdge = (from: string, to: string) => {
    const edges: Record<string, readonly string[]> = clean;
    return graphOf({ ...edges, [from]: [...(edges[from] ?? []), to], [to]: edges[to] ?? [] });
  };

  it('names layers by their folder under src/, or by file name at the top', () => {
    expect(layerOf('src/runtime/map-runner.ts')).toBe('runtime');
    expect(layerOf('src/node/files/bounds.ts')).toBe('node');
    expect(layerOf('src/compile-kernels.ts')).toBe('compile-kernels');
    expect(layerOf('bench/sweep.ts')).toBe('bench');
  });

  it('finds nothing in a tree that keeps the rules', () => {
    expect(checkLayers(graphOf(clean))).toEqual([]);
  });

  it.each([
    ['src/runtime/map-runner.ts', 'src/codegen/manifest.ts', 'the runtime runs manifests'],
    ['src/runtime/map-runner.ts', 'src/tuner/tune.ts', 'the runtime runs manifests'],
    ['src/codegen/manifest.ts', 'src/tuner/tune.ts', 'the tuner is a compile-time tool'],
    ['src/dsl/check-sparse.ts', 'src/ir/pipeline.ts', 'the front end (dsl) imports nothing above it'],
    ['src/cli/main.ts', 'src/plugin/index.ts', 'neither imports the other'],
    ['src/plugin/index.ts', 'src/cli/main.ts', 'neither imports the other'],
    ['src/node/mask-files.ts', 'src/plugin/index.ts', 'the shells are the top'],
    ['src/tuner/tune.ts', 'src/cli/main.ts', 'the shells are the top'],
    ['src/newlayer/x.ts', 'src/cli/main.ts', 'the shells are the top'],
    ['src/tuner/tune.ts', 'src/node/mask-files.ts', 'Node-only host code (src/node) stays out'],
    ['src/codegen/manifest.ts', 'src/node/mask-files.ts', 'Node-only host code (src/node) stays out'],
    ['src/manifest/types.ts', 'src/ir/pipeline.ts', 'the manifest format (src/manifest) is data'],
    ['src/model/types.ts', 'src/ir/pipeline.ts', 'the structure model (src/model)'],
    ['bench/sweep.ts', 'src/cli/main.ts', 'the shells are the top'],
  ] as const)('reports a new edge %s -> %s', (from, to, rule) => {
    const found = checkLayers(withEdge(from, to));
    expect(found.map((v) => v.edge)).toContain(`${from} -> ${to}`);
    expect(found.find((v) => v.edge === `${from} -> ${to}`)!.rules).toContainEqual(expect.stringContaining(rule));
  });

  it('follows the runtime through the layers it may import (the model, which may import the front end, but not for the runtime)', () => {
    const graph = graphOf({ ...clean, 'src/manifest/types.ts': ['src/model/types.ts'], 'src/model/types.ts': ['src/dsl/check-sparse.ts'] });
    expect(checkLayers(graph)).toEqual([{ edge: 'src/model/types.ts -> src/dsl/check-sparse.ts', rules: [expect.stringContaining('reaches no compiler')] }]);
    // The same import, from a model file the runtime does not reach, is the model's to make.
    expect(checkLayers(graphOf({ ...clean, 'src/model/build.ts': ['src/dsl/check-sparse.ts'] }))).toEqual([]);
  });

  it('does not follow the runtime through a layer it may not import', () => {
    // compile.ts -> codegen is fine for compile.ts; the runtime importing compile.ts is the one violation.
    const found = checkLayers(withEdge('src/runtime/timing.ts', 'src/compile.ts'));
    expect(found.map((v) => v.edge)).toEqual(['src/runtime/timing.ts -> src/compile.ts']);
  });

  it('applies only the rules it is given', () => {
    const rules: LayerRule[] = [{ name: 'ir below codegen', from: ['ir'], to: ['codegen'] }];
    expect(checkLayers(withEdge('src/runtime/map-runner.ts', 'src/codegen/manifest.ts'), rules)).toEqual([]);
    expect(checkLayers(withEdge('src/ir/pipeline.ts', 'src/codegen/wgsl/kernel.ts'), rules)).toEqual([{ edge: 'src/ir/pipeline.ts -> src/codegen/wgsl/kernel.ts', rules: ['ir below codegen'] }]);
  });
});

describe('nodeBuiltinViolations', () => {
  it('allows node: modules in the host layer, the shells and the Dawn provider, and reports them anywhere else', () => {
    const packages = packageImportsOf(
      new Map([
        ['src/node/files/write-outputs.ts', "import { renameSync } from 'node:fs';"],
        ['src/cli/commands/build.ts', "import { dirname } from 'node:path';"],
        ['src/runtime/node-device.ts', "import { createRequire } from 'node:module';\nimport { create } from 'webgpu';"],
        ['src/runtime/map-runner.ts', "import { readFileSync } from 'node:fs';\nimport type { X } from './x.js';"],
        ['src/tuner/tune.ts', "const { hostname } = await import('node:os');"],
      ]),
    );
    expect(packages.get('src/runtime/node-device.ts')).toEqual(['node:module', 'webgpu']);
    expect(nodeBuiltinViolations(packages).map((v) => v.edge)).toEqual(['src/runtime/map-runner.ts -> node:fs', 'src/tuner/tune.ts -> node:os']);
  });
});

describe('cycles', () => {
  it('reports the shortest cycle through the first file of each cycle, and self-imports', () => {
    const graph = graphOf({
      'src/cli/main.ts': ['src/cli/program.ts'],
      'src/cli/program.ts': ['src/cli/commands/build-watch.ts', 'src/cli/main.ts'],
      'src/cli/commands/build-watch.ts': ['src/cli/main.ts'],
      'src/util/a.ts': ['src/util/a.ts'],
      'src/util/b.ts': ['src/util/a.ts'],
    });
    expect(cycles(graph)).toEqual([
      ['src/cli/commands/build-watch.ts', 'src/cli/main.ts', 'src/cli/program.ts', 'src/cli/commands/build-watch.ts'],
      ['src/util/a.ts', 'src/util/a.ts'],
    ]);
    expect(checkLayers(graph).map((v) => v.edge)).toContain('cycle: src/util/a.ts -> src/util/a.ts');
  });

  it('counts a cycle only through imports that remain in the JavaScript', () => {
    const files = new Map([
      ['src/codegen/defaults.ts', "import type { Family } from './family.js';\nexport const KNOBS = 1;"],
      ['src/codegen/family.ts', "import { KNOBS } from './defaults.js';\nexport interface Family { k: typeof KNOBS }"],
    ]);
    expect(importGraphOf(files).get('src/codegen/defaults.ts')).toEqual(['src/codegen/family.ts']);
    expect(checkLayers(importGraphOf(files), [], importGraphOf(files, { values: true }))).toEqual([]);
    expect(checkLayers(importGraphOf(files), [])).toEqual([{ edge: 'cycle: src/codegen/defaults.ts -> src/codegen/family.ts -> src/codegen/defaults.ts', rules: ['no import cycles'] }]);
  });

  it('finds none in a graph without one, however deep', () => {
    const chain = graphOf(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`src/util/f${i}.ts`, i + 1 < 5000 ? [`src/util/f${i + 1}.ts`] : []])));
    expect(cycles(chain)).toEqual([]);
  });
});

describe('againstAllowList', () => {
  it('fails on a new violation and on an allow-list entry that no longer occurs', () => {
    const violations = [
      { edge: 'src/runtime/a.ts -> src/ir/ir.ts', rules: ['r'] },
      { edge: 'src/runtime/b.ts -> src/dsl/structure.ts', rules: ['r'] },
    ];
    const { added, fixed } = againstAllowList(violations, ['src/runtime/a.ts -> src/ir/ir.ts', 'src/runtime/c.ts -> src/ir/ir.ts']);
    expect(added.map((v) => v.edge)).toEqual(['src/runtime/b.ts -> src/dsl/structure.ts']);
    expect(fixed).toEqual(['src/runtime/c.ts -> src/ir/ir.ts']);
  });
});
