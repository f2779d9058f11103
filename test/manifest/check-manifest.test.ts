/**
 * decodeManifest on a damaged or hand-edited manifest file (docs/manifest.md): one MoncError of
 * kind `format` naming the field, never a TypeError, RangeError, internal error, NaN output or
 * a forward pass that does not end. The named cases are REVIEW's (finding R12); the property
 * changes one field of a valid file at random.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import { encodeManifest } from '../../src/manifest/manifest-encode.js';
import type { Manifest } from '../../src/manifest/types.js';
import '../../src/runtime/cpu.js';
import { blockSparse, decodeManifest, decodeModuleManifest, referenceApply } from '../../src/runtime/index.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import '../../src/runtime/training.js';
import { MoncError } from '../../src/util/error.js';

const SPARSE_SOURCE = [
  'map s : 64 -> 48 = sparse(block: [8, 4], pattern: random(density: 0.4, seed: 5)) + lowrank(rank: 3) + bias()',
  'map m : 16 -> 16 = monarch(nblocks: 4)',
  'map t : 16 -> 16 = transpose(4, 4) @ m @ m',
  '',
].join('\n');
const DENSE_SOURCE = 'map m : 16 -> 16 = monarch(nblocks: 4) + bias()\n';
const F16_SOURCE = 'dtype f16\nmap h : 12 -> 10 = lowrank(rank: 2) @ transpose(3, 4) + bias()\n';

/** The file form (JSON text) of a module's manifest. */
function manifestText(source: string, forwardOnly: boolean): string {
  const result = compileModule(source, 'damaged.mon', { forwardOnly });
  if (!result.outputs) throw new Error('the test spec does not compile');
  return JSON.stringify(encodeManifest(result.outputs.manifest));
}

/** `text`'s JSON with the field at `path` (keys and indices) set to `value`, or removed for `undefined`. */
function withField(text: string, path: readonly (string | number)[], value: unknown): unknown {
  const file = JSON.parse(text) as Record<string, unknown>;
  let parent = file as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const key = path[path.length - 1];
  if (value === undefined && Array.isArray(parent)) parent.splice(Number(key), 1);
  else if (value === undefined) delete parent[key];
  else parent[key] = value;
  return file;
}

/** The MoncError a call throws (fails when it throws nothing or something else). */
function moncErrorOf(f: () => unknown): MoncError {
  try {
    f();
  } catch (e) {
    if (e instanceof MoncError) return e;
    throw e;
  }
  throw new Error('no error');
}

const GOLDEN = join(import.meta.dirname, '../golden');
const ROWS = 2;
const input = (n: number) => Float32Array.from({ length: ROWS * n }, (_, i) => ((i * 7) % 5) / 4 - 0.5);

/** Every map's forward output, its float64 reference's, and where the manifest has backward programs dx, in order. */
async function runAll(manifest: Manifest): Promise<Float32Array[]> {
  const results: Float32Array[] = [];
  for (const map of manifest.maps) {
    const training = map.backward !== undefined;
    const runner = await MapRunner.create(map, '', { backend: 'cpu', dtype: manifest.dtype, training });
    try {
      const params = new Map(map.params.map((p) => [p.name, Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i % 7) - 3) / 8)]));
      runner.loadParams(Object.fromEntries(params));
      results.push(await runner.forward(input(map.in), ROWS));
      // The float64 reference of the map's model (what a user checks a runner against).
      results.push(Float32Array.from(referenceApply(map.model, params, input(map.in), ROWS)));
      if (training) results.push((await runner.backward(input(map.in), input(map.out), ROWS)).dx);
    } finally {
      runner.destroy();
    }
  }
  return results;
}

describe('decodeManifest of a damaged manifest file', () => {
  const text = manifestText(SPARSE_SOURCE, true);

  it.each<[string, (string | number)[], unknown]>([
    ['maps[2].ops[0].input.size', ['maps', 2, 'ops', 0, 'input', 'size'], 0],
    ['maps[2].buffers[1].size', ['maps', 2, 'buffers', 1, 'size'], -1],
    ['maps[1].ops[1].output.size', ['maps', 1, 'ops', 1, 'output', 'size'], 1e12],
    ['maps[2].ops[0].weight', ['maps', 2, 'ops', 0, 'weight'], undefined],
    ['maps[2].buffers', ['maps', 2, 'buffers'], ''],
    ['maps[0].ops[0].kind', ['maps', 0, 'ops', 0, 'kind'], 'x'],
    ['maps[2].params[1].name', ['maps', 2, 'params', 1, 'name'], 1.5],
    ['maps[2].ops[0].src', ['maps', 2, 'ops', 0, 'src'], undefined],
    ['maps[0].ops[2].b', ['maps', 0, 'ops', 2, 'b'], 2 ** 31],
  ])('%s set to %j: a format error naming it', (field, path, value) => {
    const error = moncErrorOf(() => decodeManifest(withField(text, path, value), blockSparse));
    expect(error.kind).toBe('format');
    expect(error.message).toContain(`the manifest of module 'damaged': ${field}`);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it("a field of the right type that breaks the program (a ks op's b that no longer matches its buffers): a format error naming the map and op", () => {
    const error = moncErrorOf(() => decodeManifest(withField(text, ['maps', 0, 'ops', 2, 'b'], 7), blockSparse));
    expect(error.kind).toBe('format');
    expect(error.message).toMatch(/^the manifest of module 'damaged': maps\[0\]: op 2 \(ks\): /);
  });

  it.each(readdirSync(GOLDEN).filter((f) => f.endsWith('.json')))('accepts the golden manifest %s (kernels, kernel sets, backward programs, optimizers)', (file) => {
    const manifest = decodeManifest(JSON.parse(readFileSync(join(GOLDEN, file), 'utf8')), blockSparse);
    expect(manifest.maps.length).toBeGreaterThan(0);
  });

  it.each<[string, (string | number)[], unknown]>([
    ['maps[0].kernels[0].dispatch.kind', ['maps', 0, 'kernels', 0, 'dispatch', 'kind'], -1],
    ['maps[0].kernels[0].dispatch', ['maps', 0, 'kernels', 0, 'dispatch'], null],
    ['maps[2].kernels[0].src', ['maps', 2, 'kernels', 0, 'src'], 'nowhere'],
    ['maps[0].kernels[0].ops', ['maps', 0, 'kernels', 0, 'ops'], [9]],
    ['maps[2].kernelSets[0].requires.features', ['maps', 2, 'kernelSets', 0, 'requires', 'features'], null],
    ['maps[1].model.body.stages[0]', ['maps', 1, 'model', 'body', 'stages', 0, 'a'], 3],
    ['maps[0].model.body.terms', ['maps', 0, 'model', 'body', 'terms'], {}],
    ['maps[0].model', ['maps', 0, 'model', 'in'], 65],
  ])('a kernel or model field (what the WebGPU executor, the float64 reference read), %s set to %j: a format error naming it', (field, path, value) => {
    const error = moncErrorOf(() => decodeManifest(withField(text, path, value), blockSparse));
    expect(error.kind).toBe('format');
    expect(error.message).toContain(`the manifest of module 'damaged': ${field}`);
  });

  it.each<[string, (string | number)[], unknown]>([
    ['maps[0].flopsPerRow', ['maps', 0, 'flopsPerRow'], 'x'],
    ['maps[1].dense.paramCount', ['maps', 1, 'dense', 'paramCount'], -1],
    ['maps[0].kernels[0].bytesPerRow', ['maps', 0, 'kernels', 0, 'bytesPerRow'], null],
    ['maps[2].paramBytes', ['maps', 2, 'paramBytes'], 1.5],
    ['maps[0].paramCount', ['maps', 0, 'paramCount'], undefined],
    ['maps[2].dense', ['maps', 2, 'dense'], 4],
    ['maps[1].kernels[0].flopsPerRow', ['maps', 1, 'kernels', 0, 'flopsPerRow'], Number.NaN],
  ])('a cost (what reports and `monc bench` print), %s set to %j: a format error naming it', (field, path, value) => {
    const error = moncErrorOf(() => decodeManifest(withField(text, path, value), blockSparse));
    expect(error.kind).toBe('format');
    expect(error.message).toContain(`the manifest of module 'damaged': ${field}`);
  });

  // QA2 s13 R20: such lists decoded and ran on WebGPU to wrong numbers (the last kernel dropped: max error 5.4; all
  // dropped: zeros) while the CPU executor, which runs the ops themselves, gave the right ones.
  const IN_ORDER = 'the kernels run each op of the program once, in order';
  const trained = manifestText(SPARSE_SOURCE, false);
  const f16 = manifestText(F16_SOURCE, false);
  const kernelsAt = (file: string, path: (string | number)[]) => path.reduce<unknown>((o, key) => (o as Record<string | number, unknown>)[key], JSON.parse(file)) as unknown[];
  it.each<[string, string, (string | number)[], unknown, string]>([
    ['the last kernel dropped', trained, ['maps', 0, 'kernels', 2], undefined, `maps[0].kernels: op 2 is run by no kernel (the kernels run each of the program's 3 ops once, in order)`],
    ['no kernel at all', trained, ['maps', 1, 'kernels'], [], `maps[1].kernels: op 0 is run by no kernel (the kernels run each of the program's 2 ops once, in order)`],
    ['reversed (a fused kernel last)', trained, ['maps', 2, 'kernels'], kernelsAt(trained, ['maps', 2, 'kernels']).reverse(), `maps[2].kernels[0].ops: [3] runs op 3 where op 0 comes next (${IN_ORDER})`],
    ['a backward kernel dropped', trained, ['maps', 1, 'backward', 'kernels', 1], undefined, `maps[1].backward.kernels[1].ops: [2] runs op 2 where op 1 comes next (${IN_ORDER})`],
    ['a kernel run twice', trained, ['maps', 1, 'kernels', 1, 'ops'], [0], `maps[1].kernels[1].ops: [0] runs op 0 where op 1 comes next (${IN_ORDER})`],
    ["an f32-storage set's kernels swapped", f16, ['maps', 0, 'kernelSets', 1, 'kernels'], kernelsAt(f16, ['maps', 0, 'kernelSets', 1, 'kernels']).reverse(), `maps[0].kernelSets[1].kernels[0].ops: [1] runs op 1 where op 0 comes next (${IN_ORDER})`],
    ['an empty list of kernel sets', trained, ['maps', 0, 'kernelSets'], [], 'maps[0].kernelSets: [] is not a list of at least one'],
  ])('a kernel list that does not run its program\'s ops once each, in order (%s): a format error naming it', (_, file, path, value, message) => {
    const error = moncErrorOf(() => decodeManifest(withField(file, path, value), blockSparse));
    expect(error.kind).toBe('format');
    expect(error.message).toBe(`the manifest of module 'damaged': ${message}`);
  });

  // QA2 s14 R34: a flat kernel's itemsPerWorkgroup 64 -> 128 on a 64-invocation workgroup decoded and ran with errors of 6
  // (half the workgroups dispatched); so in a kernel set's list (f32-storage) and for every rule counting items.
  it('a dispatch with more items per workgroup than invocations (items left undone): a format error naming it, wherever the kernel is', () => {
    type Plan = { workgroupSize: number[]; dispatch: { kind: string; itemsPerWorkgroup?: number } };
    const places: [string, (string | number)[]][] = [];
    for (const [file, lists] of [
      [trained, ['kernels', 'backward.kernels', 'optimizers']],
      [f16, ['kernelSets.1.kernels']],
    ] as const) {
      JSON.parse(file).maps.forEach((_map: unknown, m: number) => {
        for (const list of lists) {
          const path = ['maps', m, ...list.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k))];
          const plans = kernelsAt(file, path) as Plan[] | undefined;
          plans?.forEach((k, i) => {
            if (k.dispatch.kind !== 'tiled') places.push([file, [...path, i]]);
          });
        }
      });
    }
    const kinds = new Set(places.map(([file, path]) => (kernelsAt(file, path) as unknown as Plan).dispatch.kind));
    expect([...kinds].sort()).toEqual(['fixed', 'flat', 'split']);
    for (const [file, path] of places) {
      const plan = kernelsAt(file, path) as unknown as Plan;
      const invocations = plan.workgroupSize.reduce((a, b) => a * b, 1);
      expect(plan.dispatch.itemsPerWorkgroup!, path.join('.')).toBeLessThanOrEqual(invocations);
      const error = moncErrorOf(() => decodeManifest(withField(file, [...path, 'dispatch', 'itemsPerWorkgroup'], invocations * 2), blockSparse));
      const where = path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('').slice(1);
      expect([error.kind, error.message]).toEqual([
        'format',
        `the manifest of module 'damaged': ${where}.dispatch.itemsPerWorkgroup: ${invocations * 2} is more than the workgroup's ${invocations} invocations (one per item): the items past them would go undone`,
      ]);
    }
  });

  // QA2 s14 R34: a flat kernel's itemsPerRow 15 -> 7 decoded and ran with errors of 6.3 (half of each row's outputs undone).
  it("a flat dispatch whose items per row are not its op's outputs over the schedule's outputsPerThread: a format error naming it", () => {
    type Plan = { ops: number[]; schedule: { family: string; outputsPerThread?: number }; dispatch: { kind: string; itemsPerRow?: number } };
    const families = new Set<string>();
    for (const [file, lists] of [
      [trained, ['kernels', 'backward.kernels']],
      [f16, ['kernels', 'kernelSets.1.kernels', 'backward.kernels']],
      // A bias whose output map no block matmul of its sum shares: a bias kernel of its own.
      [manifestText('map b : 16 -> 16 = transpose(4, 4) @ blockdiag(nblocks: 4) + bias()\n', true), ['kernels']],
    ] as const) {
      JSON.parse(file).maps.forEach((_map: unknown, m: number) => {
        for (const list of lists) {
          const path = ['maps', m, ...list.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k))];
          (kernelsAt(file, path) as Plan[] | undefined)?.forEach((k, i) => {
            if (k.dispatch.kind !== 'flat' || k.ops.length !== 1) return;
            families.add(k.schedule.family);
            const items = k.dispatch.itemsPerRow!;
            const outputs = items * (k.schedule.outputsPerThread ?? 1);
            const where = [...path, i].map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('').slice(1);
            for (const wrong of [items - 1, items + 1]) {
              if (wrong < 1) continue;
              const error = moncErrorOf(() => decodeManifest(withField(file, [...path, i, 'dispatch', 'itemsPerRow'], wrong), blockSparse));
              expect([error.kind, error.message]).toEqual([
                'format',
                `the manifest of module 'damaged': ${where}.dispatch.itemsPerRow: ${wrong} is not its op's ${outputs} outputs over the ${k.schedule.outputsPerThread ?? 1} of each item (${items})`,
              ]);
            }
          });
        }
      });
    }
    // The flat families of untuned builds (bsr-direct, a tuning candidate, counts its items as bsr-t-direct does).
    expect([...families].sort()).toEqual(['bias', 'bsr-t-direct', 'ks-direct']);
  });

  // QA2 s20 R96: a reduce kernel's fixed rule with items 512 -> 256 decoded and gave gradients wrong by 1.8 (entries left unsummed).
  it("a fixed dispatch whose items are not its reduce op's gradient entries, or that runs another op: a format error naming it", () => {
    type Plan = { ops: number[]; dispatch: { kind: string; items?: number } };
    let checked = 0;
    for (const [file, lists] of [
      [trained, ['backward.kernels']],
      [f16, ['backward.kernels', 'kernelSets.1.backwardKernels']],
    ] as const) {
      JSON.parse(file).maps.forEach((_map: unknown, m: number) => {
        for (const list of lists) {
          const path = ['maps', m, ...list.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k))];
          (kernelsAt(file, path) as Plan[] | undefined)?.forEach((k, i) => {
            if (k.dispatch.kind !== 'fixed') return;
            const items = k.dispatch.items!;
            const where = [...path, i].map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('').slice(1);
            for (const wrong of [Math.floor(items / 2), items + 1]) {
              const error = moncErrorOf(() => decodeManifest(withField(file, [...path, i, 'dispatch', 'items'], wrong), blockSparse));
              expect([error.kind, error.message]).toEqual([
                'format',
                `the manifest of module 'damaged': ${where}.dispatch.items: ${wrong} is not its op's ${items} outputs (the gradient entries it sums, one item each)`,
              ]);
            }
            checked++;
          });
        }
      });
    }
    expect(checked).toBeGreaterThanOrEqual(3);
    const forward = JSON.parse(trained).maps[1].kernels[0];
    const fixed = { ...forward, dispatch: { kind: 'fixed', items: 64, itemsPerWorkgroup: 64 } };
    const error = moncErrorOf(() => decodeManifest(withField(trained, ['maps', 1, 'kernels', 0], fixed), blockSparse));
    expect(error.message).toMatch(/^the manifest of module 'damaged': maps\[1\]\.kernels\[0\]\.dispatch\.kind: a fixed rule runs one reduce op, not \["\w+"/);
  });

  // QA2 s14 R34 (re-verification 4): src/dst swapped ran on the wrong buffers (error 6.3); a bgrad kernel's split rule with another
  // rowsPerSplit than its op's partials (gradients off by 0.15).
  it("a kernel binding other buffers than its ops, or splitting the batch unlike its op's partials: a format error naming it", () => {
    const file = JSON.parse(trained);
    const forward = file.maps[1].kernels[0];
    const swapped = moncErrorOf(() => decodeManifest(withField(trained, ['maps', 1, 'kernels', 0], { ...forward, src: forward.dst, dst: forward.src }), blockSparse));
    expect([swapped.kind, swapped.message]).toEqual(['format', `the manifest of module 'damaged': maps[1].kernels[0].src: '${forward.dst}' is not what its ops bind there ('${forward.src}')`]);
    const backward = file.maps[0].backward.kernels as { dst: string; aux: string; dispatch: { kind: string; rowsPerSplit?: number } }[];
    const aux = moncErrorOf(() => decodeManifest(withField(trained, ['maps', 0, 'backward', 'kernels', 0, 'aux'], backward[0].dst), blockSparse));
    expect(aux.message).toBe(`the manifest of module 'damaged': maps[0].backward.kernels[0].aux: '${backward[0].dst}' is not what its ops bind there ('${backward[0].aux}')`);
    const k = backward.findIndex((b) => b.dispatch.kind === 'split');
    const rows = backward[k].dispatch.rowsPerSplit!;
    const split = moncErrorOf(() => decodeManifest(withField(trained, ['maps', 0, 'backward', 'kernels', k, 'dispatch', 'rowsPerSplit'], rows * 2), blockSparse));
    expect(split.message).toBe(`the manifest of module 'damaged': maps[0].backward.kernels[${k}].dispatch.rowsPerSplit: ${rows * 2} is not its op's rowsPerSplit (${rows})`);
  });

  // QA2 s14 R34 addendum 3: entry points swapped between a map's kernels (wrong by 7.3), or one kernel's used twice (5.4), ran the
  // wrong code; a kernel is named after its first op (manifest/entry-points.ts), with its kernel set's suffix where it has one.
  it("a kernel named otherwise than the kernel of its first op (entry points swapped or repeated): a format error naming it", () => {
    const names = (file: string, path: (string | number)[]) => (kernelsAt(file, path) as { entryPoint: string }[]).map((k) => k.entryPoint);
    expect(names(trained, ['maps', 0, 'kernels'])).toEqual(['s_op0', 's_op1', 's_op2']);
    expect(names(trained, ['maps', 0, 'backward', 'kernels'])[0]).toBe('s_bwd0');
    expect(names(f16, ['maps', 0, 'kernelSets', 1, 'kernels'])).toEqual(['h_op0', 'h_op1']);
    const refused = (file: string, path: (string | number)[], value: string) => {
      const error = moncErrorOf(() => decodeManifest(withField(file, path, value), blockSparse));
      return [error.kind, error.message];
    };
    const message = (where: string, name: string, first: number, base: string) =>
      `the manifest of module 'damaged': ${where}.entryPoint: '${name}' is not the name of a kernel starting at its op ${first} ('${base}', maybe with its kernel set's suffix)`;
    expect(refused(trained, ['maps', 0, 'kernels', 0, 'entryPoint'], 's_op1')).toEqual(['format', message('maps[0].kernels[0]', 's_op1', 0, 's_op0')]);
    expect(refused(trained, ['maps', 0, 'kernels', 1, 'entryPoint'], 's_op0')).toEqual(['format', message('maps[0].kernels[1]', 's_op0', 1, 's_op1')]);
    expect(refused(trained, ['maps', 0, 'kernels', 1, 'entryPoint'], 's_op10')).toEqual(['format', message('maps[0].kernels[1]', 's_op10', 1, 's_op1')]);
    expect(refused(trained, ['maps', 0, 'kernels', 0, 'entryPoint'], 'm_op0')).toEqual(['format', message('maps[0].kernels[0]', 'm_op0', 0, 's_op0')]);
    expect(refused(trained, ['maps', 0, 'backward', 'kernels', 0, 'entryPoint'], 's_op0')).toEqual(['format', message('maps[0].backward.kernels[0]', 's_op0', 0, 's_bwd0')]);
    expect(refused(f16, ['maps', 0, 'kernelSets', 1, 'kernels', 1, 'entryPoint'], 'h_op0')).toEqual(['format', message('maps[0].kernelSets[1].kernels[1]', 'h_op0', 1, 'h_op1')]);
    // A kernel set's suffix is the kernel's own name still (the tensor-core, large and portable sets share the module's WGSL).
    for (const name of ['s_op0_tc', 's_op0_large', 's_op0_portable']) expect(decodeManifest(withField(trained, ['maps', 0, 'kernels', 0, 'entryPoint'], name), blockSparse).maps[0].kernels[0].entryPoint).toBe(name);
  });

  // QA2 s25 Q451: optimizers and trainingStep were not checked. Items 224 -> 64 left an SGD step's elements past 64 undone on
  // WebGPU (the CPU right), sgd's and adam's entry points swapped ran Adam for SGD, the mse's itemsPerWorkgroup doubled
  // computed half of DY, a kernel removed was a TypeError from setPipeline.
  it("an update or training-step kernel unlike what every module ships (rules, names, entry points, items): a format error naming it", () => {
    const file = manifestText('module m\nmap up : 16 -> 32 = monarch(nblocks: 4) + bias()\n', false);
    const map = JSON.parse(file).maps[0] as { paramSize: number; optimizers: { entryPoint: string }[]; trainingStep: { kernels: { name: string; entryPoint: string }[] } };
    expect(map.paramSize).toBe(224);
    expect(map.optimizers.map((o) => o.entryPoint)).toEqual(['monc_opt_sgd', 'monc_opt_adam']);
    expect(map.trainingStep.kernels.map((k) => k.entryPoint)).toEqual(['monc_train_gather', 'monc_train_mse', 'monc_train_check', 'monc_train_finalize']);
    const edited = (edit: (m: any) => void) => {
      const whole = JSON.parse(file);
      edit(whole.maps[0]);
      const error = moncErrorOf(() => decodeManifest(whole));
      expect(error.kind).toBe('format');
      return error.message.replace("the manifest of module 'm': maps[0]", '');
    };
    expect(edited((m) => (m.optimizers[0].dispatch.items = 64))).toBe('.optimizers[0].dispatch.items: 64, where the map packs 224 parameters (paramSize), one thread each');
    expect(edited((m) => m.optimizers.forEach((o: any) => (o.dispatch.itemsPerWorkgroup = 32)))).toBe('.optimizers[0].dispatch.itemsPerWorkgroup: 32, where its 64 invocations (workgroupSize [64,1,1]) take one item each, 64');
    expect(edited((m) => ([m.optimizers[0].entryPoint, m.optimizers[1].entryPoint] = [m.optimizers[1].entryPoint, m.optimizers[0].entryPoint]))).toBe(".optimizers[0].entryPoint: 'monc_opt_adam' is not rule sgd's update kernel ('monc_opt_sgd')");
    expect(edited((m) => ([m.optimizers[0].rule, m.optimizers[1].rule] = ['adam', 'sgd']))).toBe('.optimizers: rules ["adam","sgd"], where a module ships ["sgd","adam"] (each once, in that order)');
    expect(edited((m) => m.optimizers.pop())).toBe('.optimizers: rules ["sgd"], where a module ships ["sgd","adam"] (each once, in that order)');
    expect(edited((m) => (m.trainingStep.kernels[1].itemsPerWorkgroup = 2048))).toBe('.trainingStep.kernels[1].itemsPerWorkgroup: 2048, where its 64 invocations (workgroupSize [64,1,1]) take 16 items each, 1024');
    expect(edited((m) => (m.trainingStep.kernels[0].itemsPerWorkgroup = 1024))).toBe('.trainingStep.kernels[0].itemsPerWorkgroup: 1024, where its 64 invocations (workgroupSize [64,1,1]) take one item each, 64');
    expect(edited((m) => { const k = m.trainingStep.kernels; [k[0].entryPoint, k[1].entryPoint] = [k[1].entryPoint, k[0].entryPoint]; })).toBe(".trainingStep.kernels[0].entryPoint: 'monc_train_mse' is not the gather kernel ('monc_train_gather')");
    expect(edited((m) => (m.trainingStep.kernels[0].entryPoint = 'up_op0'))).toBe(".trainingStep.kernels[0].entryPoint: 'up_op0' is not the gather kernel ('monc_train_gather')");
    expect(edited((m) => m.trainingStep.kernels.splice(2, 1))).toBe('.trainingStep.kernels: ["gather","mse","finalize"], where a step runs ["gather","mse","check","finalize"] (each once, in that order)');
    // As built, f32 and f16, trained or forward-only: accepted.
    for (const source of ['map up : 16 -> 32 = monarch(nblocks: 4) + bias()\n', 'dtype f16\nmap up : 16 -> 32 = monarch(nblocks: 4) + bias()\n']) {
      for (const forwardOnly of [false, true]) expect(decodeManifest(JSON.parse(manifestText(source, forwardOnly))).maps[0].name).toBe('up');
    }
  });

  // QA2 s25 Q452: a block-sparse kernel's table kind edited (csr <-> coo) was accepted; WebGPU read the other table as the
  // one it is written for (y 0.89 off, dx 1.2, the weight gradient 1.5), the CPU the op's blocks.
  it("a block-sparse kernel naming the other pattern table than its op's kernels read: a format error naming it", () => {
    type Kernel = { ops: number[]; pattern?: string };
    const map = JSON.parse(trained).maps[0] as { kernels: Kernel[]; ops: { kind: string }[]; backward: { kernels: Kernel[]; ops: { kind: string }[] } };
    const forward = map.kernels.findIndex((k) => k.pattern);
    const transposed = map.backward.kernels.findIndex((k) => k.pattern === 'csr');
    const gradient = map.backward.kernels.findIndex((k) => k.pattern === 'coo');
    expect([map.kernels[forward].pattern, map.ops[map.kernels[forward].ops[0]].kind]).toEqual(['csr', 'bsr']);
    expect(map.backward.ops[map.backward.kernels[gradient].ops[0]].kind).toBe('wgrad');
    const refused = (path: (string | number)[], value: string) => moncErrorOf(() => decodeManifest(withField(trained, path, value), blockSparse));
    const edits: [(string | number)[], string, string][] = [
      [['maps', 0, 'kernels', forward, 'pattern'], 'coo', 'bsr'],
      [['maps', 0, 'backward', 'kernels', transposed, 'pattern'], 'coo', 'bsr'],
      [['maps', 0, 'backward', 'kernels', gradient, 'pattern'], 'csr', 'wgrad'],
    ];
    for (const [path, value, kind] of edits) {
      const error = refused(path, value);
      const [k, op] = [path[path.length - 2] as number, (path.includes('backward') ? map.backward.kernels : map.kernels)[path[path.length - 2] as number].ops[0]];
      expect(error.kind).toBe('format');
      expect(error.message).toBe(`the manifest of module 'damaged': maps[0].${path.includes('backward') ? 'backward.kernels' : 'kernels'}[${k}].pattern: '${value}' is not the '${value === 'coo' ? 'csr' : 'coo'}' table a kernel of its op ${op} (${kind}) reads`);
      // Left out (QA2's re-check: the table not bound, y 1.0 off), in a file with `format`: refused too.
      const layout = value === 'coo' ? 'csr' : 'coo';
      const without = moncErrorOf(() => decodeManifest(withField(trained, path, undefined), blockSparse));
      expect(without.message).toBe(`the manifest of module 'damaged': maps[0].${path.includes('backward') ? 'backward.kernels' : 'kernels'}[${k}].pattern: none is not the '${layout}' table a kernel of its op ${op} (${kind}) reads`);
    }
    // A manifest without `format` (an earlier monc's, before pattern tables, or one decoded already) may have none.
    const decoded = compileModule(SPARSE_SOURCE, 'damaged.mon').outputs!.manifest;
    const older = { ...decoded, maps: decoded.maps.map((m) => ({ ...m, kernels: m.kernels.map(({ pattern: _pattern, ...k }) => k) })) };
    expect(decodeManifest(older, blockSparse).maps[0].kernels[forward].pattern).toBeUndefined();
  });

  // QA2 s25 Q453: a split rule's itemsPerSplit halved was accepted; WebGPU left half of each split's partial of a weight or
  // bias gradient uncomputed (0.72 and 0.71 off), the CPU right.
  it("a split kernel asking other items per split than its op's gradient entries over each item's tile: a format error naming it", () => {
    type Kernel = { ops: number[]; dispatch: { kind: string; itemsPerSplit?: number }; schedule: { family: string } };
    const files = [trained, readFileSync(join(GOLDEN, 'ffn.json'), 'utf8')];
    const families = new Set<string>();
    for (const file of files) {
      const whole = JSON.parse(file) as { module: string; maps: { backward?: { kernels: Kernel[] } }[] };
      for (const [m, map] of whole.maps.entries()) {
        for (const [k, kernel] of (map.backward?.kernels ?? []).entries()) {
          if (kernel.dispatch.kind !== 'split') continue;
          families.add(kernel.schedule.family);
          const items = kernel.dispatch.itemsPerSplit!;
          const error = moncErrorOf(() => decodeManifest(withField(file, ['maps', m, 'backward', 'kernels', k, 'dispatch', 'itemsPerSplit'], items / 2), blockSparse));
          expect(error.kind).toBe('format');
          expect(error.message).toMatch(new RegExp(`^the manifest of module '${whole.module}': maps\\[${m}\\]\\.backward\\.kernels\\[${k}\\]\\.dispatch\\.itemsPerSplit: ${items / 2} is not its op's \\d+ gradient entries over the \\d+ of each item \\(${items}\\)$`));
        }
      }
    }
    expect([...families].sort()).toEqual(['bgrad', 'wgrad-staged', 'wgrad-tiled']);
    // A wgrad-staged item is a workgroup (QA2's addendum 2: itemsPerWorkgroup 1 -> 2 left every other tile undone, 0.72 off).
    const ffn = readFileSync(join(GOLDEN, 'ffn.json'), 'utf8');
    const maps = (JSON.parse(ffn) as { maps: { backward?: { kernels: Kernel[] } }[] }).maps;
    const m = maps.findIndex((map) => map.backward?.kernels.some((k) => k.schedule.family === 'wgrad-staged'));
    const k = maps[m].backward!.kernels.findIndex((kernel) => kernel.schedule.family === 'wgrad-staged');
    const error = moncErrorOf(() => decodeManifest(withField(ffn, ['maps', m, 'backward', 'kernels', k, 'dispatch', 'itemsPerWorkgroup'], 2), blockSparse));
    expect(error.message).toBe(`the manifest of module 'ffn': maps[${m}].backward.kernels[${k}].dispatch.itemsPerWorkgroup: 2, where each item of a wgrad-staged kernel is a workgroup (1)`);
  });

  // s26 OPEN-a: the runtime never reads a kernel's workgroupSize (its WGSL's @workgroup_size runs), and its items per
  // workgroup were held only to workgroupSize: both doubled on a flat ks-direct kernel left half its outputs undone on
  // WebGPU (4.6 off the CPU's), and an update or training-step kernel likewise. Held to the schedule's workgroupSize knob
  // (the module's kernels, their sets', the updates') and to TRAINING_STEP_WORKGROUP (training-step kernels).
  it("a kernel's workgroupSize edited with its items per workgroup, against its schedule's or the training step's: a format error naming it", () => {
    type Kernel = { entryPoint: string; workgroupSize: number[]; dispatch: { kind: string; itemsPerWorkgroup?: number }; schedule: { family: string; workgroupSize?: number } };
    // A bias with no op to ride on (bias), one-element blocks (bsr-direct).
    const flat = manifestText('map s : 16 -> 16 = transpose(4, 4) @ lowrank(rank: 2) + bias()\nmap p : 16 -> 16 = sparse(block: 1, pattern: band(width: 1)) + bias()\n', false);
    const files = [trained, f16, flat, readFileSync(join(GOLDEN, 'ffn.json'), 'utf8'), readFileSync(join(GOLDEN, 'pixelfly.json'), 'utf8')];
    const families = new Set<string>();
    for (const file of files) {
      const whole = JSON.parse(file) as { module: string; maps: Record<string, unknown>[] };
      for (const [m, map] of whole.maps.entries()) {
        const lists: [string, (string | number)[]][] = [
          ['kernels', ['kernels']],
          ['backward.kernels', ['backward', 'kernels']],
          ['optimizers', ['optimizers']],
          ...((map.kernelSets ?? []) as unknown[]).flatMap((_, s): [string, (string | number)[]][] => [
            [`kernelSets[${s}].kernels`, ['kernelSets', s, 'kernels']],
            [`kernelSets[${s}].backwardKernels`, ['kernelSets', s, 'backwardKernels']],
          ]),
        ];
        for (const [where, path] of lists) {
          const kernels = (path.reduce<unknown>((o, key) => (o as Record<string | number, unknown> | undefined)?.[key], map) ?? []) as Kernel[];
          for (const [k, kernel] of kernels.entries()) {
            const size = kernel.schedule.workgroupSize;
            if (size === undefined || kernel.dispatch.itemsPerWorkgroup === undefined || kernel.dispatch.itemsPerWorkgroup === 1) continue;
            families.add(kernel.schedule.family);
            const at = ['maps', m, ...path, k];
            const edited = withField(JSON.stringify(withField(file, [...at, 'workgroupSize'], [2 * size, 1, 1])), [...at, 'dispatch', 'itemsPerWorkgroup'], 2 * kernel.dispatch.itemsPerWorkgroup);
            const error = moncErrorOf(() => decodeManifest(edited, blockSparse));
            expect([error.kind, error.message]).toEqual(['format', `the manifest of module '${whole.module}': maps[${m}].${where}[${k}].workgroupSize: [${2 * size},1,1] is not the [${size},1,1] its schedule's workgroupSize (${size}) declares its WGSL with`]);
          }
        }
        const step = ((map.trainingStep as { kernels: Kernel[] } | undefined)?.kernels ?? []) as (Kernel & { itemsPerWorkgroup: number })[];
        for (const [k, kernel] of step.entries()) {
          const at = ['maps', m, 'trainingStep', 'kernels', k];
          const edited = withField(JSON.stringify(withField(file, [...at, 'workgroupSize'], [128, 1, 1])), [...at, 'itemsPerWorkgroup'], 2 * kernel.itemsPerWorkgroup);
          const error = moncErrorOf(() => decodeManifest(edited, blockSparse));
          expect([error.kind, error.message]).toEqual(['format', `the manifest of module '${whole.module}': maps[${m}].trainingStep.kernels[${k}].workgroupSize: [128,1,1], where every training-step kernel is written for [64,1,1]`]);
          families.add(`train-${kernel.entryPoint}`);
        }
      }
      // As written: accepted.
      expect(decodeManifest(JSON.parse(file), blockSparse).maps.length).toBeGreaterThan(0);
    }
    // Every family that counts items by its workgroup (wgrad-staged's item is a workgroup: itemsPerWorkgroup 1).
    expect([...families].sort()).toEqual([
      'bgrad', 'bias', 'bsr-direct', 'bsr-t-direct', 'ks-direct', 'opt-adam', 'opt-sgd', 'reduce',
      'train-monc_train_check', 'train-monc_train_finalize', 'train-monc_train_gather', 'train-monc_train_mse', 'wgrad-tiled',
    ]);
  });

  // Session 15's leftover: a set's workgroup sizes, and which set's entry point of its first op a set's kernel names. A set that
  // extends the module's WGSL lists its own kernels (declared in its text) and the module's it shares (same plan).
  it("a kernel set's kernel unlike what its WGSL declares, or naming the module's kernel (or another set's) in place of its own: a format error naming it", () => {
    const large = manifestText('map u : 1024 -> 1024 = monarch(nblocks: 32)\n', true);
    const tc = manifestText('dtype f16\nmap u : 256 -> 256 = monarch(nblocks: 16)\n', true);
    type Plan = { entryPoint: string; workgroupSize: number[]; dispatch: Record<string, unknown> };
    const set = (file: string, name: string) => (JSON.parse(file).maps[0].kernelSets as { name: string; kernels: Plan[] }[]).findIndex((s) => s.name === name);
    const [l, t, f] = [set(large, 'large'), set(tc, 'tensor-core'), set(f16, 'f32-storage')];
    const plans = (file: string, s: number, list = 'kernels') => kernelsAt(file, ['maps', 0, 'kernelSets', s, list]) as Plan[];
    // The large set shares u_op0 with the module and declares u_op1_large (a wider workgroup); the tensor-core set declares both.
    expect(plans(large, l).map((k) => k.entryPoint)).toEqual(['u_op0', 'u_op1_large']);
    expect(plans(large, l)[1].workgroupSize).not.toEqual((kernelsAt(large, ['maps', 0, 'kernels'])[1] as Plan).workgroupSize);
    expect(plans(tc, t).map((k) => k.entryPoint)).toEqual(['u_op0_tc', 'u_op1_tc']);
    const refused = (file: string, path: (string | number)[], value: unknown) => {
      const error = moncErrorOf(() => decodeManifest(withField(file, path, value), blockSparse));
      return [error.kind, error.message.replace("the manifest of module 'damaged': ", '')];
    };
    const own = plans(large, l)[1];
    const module1 = kernelsAt(large, ['maps', 0, 'kernels'])[1] as Plan;
    // The module's code under the set's dispatch: named as the module's kernel, it is not that kernel's plan.
    expect(refused(large, ['maps', 0, 'kernelSets', l, 'kernels', 1, 'entryPoint'], 'u_op1')).toEqual([
      'format',
      `maps[0].kernelSets[${l}].kernels[1].workgroupSize: ${JSON.stringify(own.workgroupSize)} is not the ${JSON.stringify(module1.workgroupSize)} of the module's kernel 'u_op1', whose code it names`,
    ]);
    // A shared kernel's dispatch edited.
    const shared = plans(large, l)[0];
    const dispatch = { ...shared.dispatch, rowsPerWorkgroup: 2 * (shared.dispatch.rowsPerWorkgroup as number) };
    expect(refused(large, ['maps', 0, 'kernelSets', l, 'kernels', 0, 'dispatch'], dispatch)[1]).toMatch(
      new RegExp(`^maps\\[0\\]\\.kernelSets\\[${l}\\]\\.kernels\\[0\\]\\.dispatch: .* is not the .* of the module's kernel 'u_op0', whose code it names$`),
    );
    // A declared kernel's workgroup size edited (what its items per workgroup are checked against).
    expect(refused(large, ['maps', 0, 'kernelSets', l, 'kernels', 1, 'workgroupSize'], [256, 1, 1])).toEqual([
      'format',
      `maps[0].kernelSets[${l}].kernels[1].workgroupSize: [256,1,1] is not the @workgroup_size its set's WGSL declares 'u_op1_large' with (${JSON.stringify(own.workgroupSize)})`,
    ]);
    // Another set's entry point of the same op: in neither the set's text nor the module's.
    expect(refused(tc, ['maps', 0, 'kernelSets', t, 'kernels', 0, 'entryPoint'], 'u_op0_large')).toEqual([
      'format',
      `maps[0].kernelSets[${t}].kernels[0].entryPoint: 'u_op0_large' is not a kernel of its set's WGSL, nor of the module's`,
    ]);
    // A set that is a module of its own (f32-storage) declares every kernel it lists; a backward kernel's workgroup size too.
    expect(refused(f16, ['maps', 0, 'kernelSets', f, 'kernels', 0, 'entryPoint'], 'h_op0_tc')).toEqual([
      'format',
      `maps[0].kernelSets[${f}].kernels[0].entryPoint: 'h_op0_tc' is not a kernel of its set's WGSL`,
    ]);
    // Edited with its schedule's workgroupSize knob (which the size alone is held to): the set's WGSL still says otherwise.
    const backward = plans(f16, f, 'backwardKernels')[0] as Plan & { schedule: { workgroupSize: number } };
    const wider = [backward.workgroupSize[0] * 2, 1, 1];
    const knob = JSON.stringify(withField(f16, ['maps', 0, 'kernelSets', f, 'backwardKernels', 0, 'schedule'], { ...backward.schedule, workgroupSize: wider[0] }));
    expect(refused(knob, ['maps', 0, 'kernelSets', f, 'backwardKernels', 0, 'workgroupSize'], wider)).toEqual([
      'format',
      `maps[0].kernelSets[${f}].backwardKernels[0].workgroupSize: ${JSON.stringify(wider)} is not the @workgroup_size its set's WGSL declares '${backward.entryPoint}' with (${JSON.stringify(backward.workgroupSize)})`,
    ]);
    // The files as written decode.
    for (const file of [large, tc, f16]) expect(decodeManifest(JSON.parse(file), blockSparse).maps).toHaveLength(1);
  });

  // QA2 s14 R34: a tiled rule's rowsPerWorkgroup doubled (64 -> 128 on a butterfly) decoded and ran with errors of 1.4.
  it("a kernel set's tiled rule unlike how its WGSL numbers the workgroups (rows per workgroup, workgroups per row tile): a format error naming it", () => {
    const large = manifestText('map u : 1024 -> 1024 = monarch(nblocks: 32)\n', true);
    const tc = manifestText('dtype f16\nmap u : 256 -> 256 = monarch(nblocks: 16)\n', true);
    type Plan = { entryPoint: string; dispatch: { kind: string; rowsPerWorkgroup: number; workgroupsPerRowTile: number }; schedule: { family: string } };
    // A butterfly's levels fused into one kernel number its workgroups by `row0 = group * R` (f32-storage set).
    const fused = manifestText('dtype f16\nmap u : 64 -> 64 = butterfly()\n', true);
    const checked: string[] = [];
    for (const file of [large, tc, fused]) {
      const sets = JSON.parse(file).maps[0].kernelSets as { name: string; wgsl?: { text: string }; kernels: Plan[] }[];
      sets.forEach((set, s) =>
        (set.kernels ?? []).forEach((k, i) => {
          // Tiled kernels the set's own WGSL declares (a shared one is held to the module's kernel instead).
          if (k.dispatch.kind !== 'tiled' || !set.wgsl?.text.includes(`fn ${k.entryPoint}(`)) return;
          const at = ['maps', 0, 'kernelSets', s, 'kernels', i, 'dispatch'];
          const { rowsPerWorkgroup: rows, workgroupsPerRowTile: perRowTile } = k.dispatch;
          const refused = (dispatch: Plan['dispatch']) => moncErrorOf(() => decodeManifest(withField(file, at, dispatch), blockSparse));
          const twiceRows = refused({ ...k.dispatch, rowsPerWorkgroup: 2 * rows });
          expect([twiceRows.kind, twiceRows.message]).toEqual([
            'format',
            `the manifest of module 'damaged': maps[0].kernelSets[${s}].kernels[${i}].dispatch.rowsPerWorkgroup: ${2 * rows} is not the ${rows} rows per workgroup its WGSL gives each workgroup of '${k.entryPoint}' (row0 = row tile × ${rows})`,
          ]);
          expect(refused({ ...k.dispatch, rowsPerWorkgroup: Math.max(1, rows / 2) }).message).toContain('.dispatch.rowsPerWorkgroup: ');
          expect(refused({ ...k.dispatch, workgroupsPerRowTile: perRowTile + 1 }).message).toBe(
            `the manifest of module 'damaged': maps[0].kernelSets[${s}].kernels[${i}].dispatch.workgroupsPerRowTile: ${perRowTile + 1} is not the ${perRowTile} workgroups per row tile its WGSL numbers '${k.entryPoint}' by (row tile = workgroup / ${perRowTile})`,
          );
          checked.push(`${set.name} ${k.entryPoint} ${k.schedule.family}`);
        }),
      );
      // The file as written decodes.
      expect(decodeManifest(JSON.parse(file), blockSparse).maps).toHaveLength(1);
    }
    // Every tiled family the sets declare here: both numbering forms.
    expect(checked).toEqual([
      'large u_op1_large ks-dtiled',
      'tensor-core u_op0_tc ks-sgmat',
      'tensor-core u_op1_tc ks-sgmat-strided',
      'f32-storage u_op0 ks-tiled',
      'f32-storage u_op1 ks-dvec',
      'f32-storage u_op0 ks-chain-fused',
    ]);
  });

  // QA2 s16 R51: the f32-storage set's storage flipped to "f16" was accepted; a runner without shader-f16 picked it and fed f16
  // halves to its f32 kernels (forward of ones gave -21.375, 0.0259, -26256, ... for 1.25).
  it("a kernel set whose storage is not the module's dtype (f32 for 'f32-storage'), or an f16 set not requiring shader-f16: a format error naming it", () => {
    const f32 = manifestText(DENSE_SOURCE, true);
    const sets = (file: string) => JSON.parse(file).maps[0].kernelSets as { name: string; storage: string; requires: { features: string[] } }[];
    const refused = (file: string, path: (string | number)[], value: unknown) => moncErrorOf(() => decodeManifest(withField(file, path, value), blockSparse));
    const f = sets(f16).findIndex((s) => s.name === 'f32-storage');
    const p = sets(f16).findIndex((s) => s.name === 'portable');
    expect(sets(f16)[f].storage).toBe('f32');
    expect(sets(f16)[p]).toMatchObject({ storage: 'f16', requires: { features: expect.arrayContaining(['shader-f16']) } });
    const flipped = refused(f16, ['maps', 0, 'kernelSets', f, 'storage'], 'f16');
    expect([flipped.kind, flipped.message]).toEqual([
      'format',
      `the manifest of module 'damaged': maps[0].kernelSets[${f}].storage: "f16" in a dtype f16 module, where the 'f32-storage' set holds f32`,
    ]);
    const toF32 = refused(f16, ['maps', 0, 'kernelSets', p, 'storage'], 'f32');
    expect(toF32.message).toBe(`the manifest of module 'damaged': maps[0].kernelSets[${p}].storage: "f32" in a dtype f16 module, where its 'portable' set holds the module's f16`);
    const inF32Module = refused(f32, ['maps', 0, 'kernelSets', 0, 'storage'], 'f16');
    expect(inF32Module.message).toMatch(/kernelSets\[0\]\.storage: "f16" in a dtype f32 module, where its '\w+' set holds the module's f32$/);
    const noFeature = refused(f16, ['maps', 0, 'kernelSets', p, 'requires', 'features'], []);
    expect(noFeature.message).toBe(`the manifest of module 'damaged': maps[0].kernelSets[${p}].requires.features: an f16 set's WGSL enables f16, so it requires "shader-f16"`);
    for (const file of [f16, f32]) expect(decodeManifest(JSON.parse(file), blockSparse).maps).toHaveLength(1);
  });

  // QA2 s14 R35: the model (what referenceApply, project and the gradients' oracle read) edited within bounds ran and disagreed
  // with the runner by 1.3-2.6: a stage's slice moved within its tensor, or two stages swapped.
  it("a model whose weighted factors or biases are not its ops' (slices moved or swapped, blocks changed): a format error naming it", () => {
    const source = 'map bf : 8 -> 8 = butterfly() + bias()\nmap s : 16 -> 16 = sparse(block: [4, 4], pattern: random(density: 0.5, seed: 3))\n';
    const file = manifestText(source, true);
    const model = JSON.parse(file).maps[0].model.body;
    const stages = model.terms[0].stages as { kind: string; weight?: { tensor: string; offset: number } }[];
    const weighted = stages.map((s, i) => [s, i] as const).filter(([s]) => s.kind === 'ks');
    expect(weighted.length).toBe(3);
    const [[first, i0], [second, i1]] = weighted;
    expect([first.weight!.tensor, first.weight!.offset, second.weight!.offset]).toEqual(['bf.0.twiddle', 0, 16]);
    const at = (i: number) => ['maps', 0, 'model', 'body', 'terms', 0, 'stages', i];
    const refused = (path: (string | number)[], value: unknown) => moncErrorOf(() => decodeManifest(withField(file, path, value), blockSparse));
    const moved = refused([...at(i0), 'weight', 'offset'], 1);
    expect(moved.kind).toBe('format');
    expect(moved.message).toBe(
      `the manifest of module 'damaged': maps[0].model.body.terms[0].stages[${i0}]: the model's weighted factor 0 is ks bf.0.twiddle[1:17] (b 2, c 2, a·d 4), but the ops' (ops[0]) is ks bf.0.twiddle[0:16] (b 2, c 2, a·d 4)`,
    );
    expect(refused([...at(i1), 'weight', 'offset'], 0).message).toMatch(/maps\[0\]\.model\.body\.terms\[0\]\.stages\[\d+\]: the model's weighted factor 1 is ks bf\.0\.twiddle\[0:16\]/);
    const swapped = JSON.parse(file);
    const list = swapped.maps[0].model.body.terms[0].stages;
    [list[i0], list[i1]] = [list[i1], list[i0]];
    expect(moncErrorOf(() => decodeManifest(swapped, blockSparse)).message).toMatch(/: maps\[0\]\.model\.body\.terms\[0\]\.stages\[\d+\]: the model's weighted factor 0 is ks bf\.0\.twiddle\[16:32\]/);
    const bias = model.terms[1] as { param: { tensor: string } };
    expect(refused(['maps', 0, 'model', 'body', 'terms', 1, 'param', 'tensor'], 'bf.0.twiddle').message).toBe(
      `the manifest of module 'damaged': maps[0].model: its biases (bf.0.twiddle[0:8]) are not the ops' (${bias.param.tensor}[0:8])`,
    );
    // The file keeps each block list once (manifest-file.ts): the model's refers to its transpose instead of the op's list.
    const ref = JSON.parse(file).maps[1].model.body.blocks as { pattern: number; transposed?: true };
    expect(ref.transposed).toBeUndefined();
    expect(refused(['maps', 1, 'model', 'body', 'blocks'], { ...ref, transposed: true }).message).toBe("the manifest of module 'damaged': maps[1].model.body.blocks: not the blocks of ops[0], which computes it");
  });

  // QA2 s22 Q155: an offset moved to any place clear of the other tensors was accepted; the CPU executor followed it, the
  // WebGPU kernels (their offsets compiled in) did not: errors of 0.27 to 20. And a model tensor's shape unlike the layout's
  // ran 60 values that the float64 reference refused.
  it("a tensor moved in the packed layout, or a model tensor unlike the layout's: a format error naming it", () => {
    const file = manifestText('map f : 12 -> 20 = monarch(nblocks: 4) + bias()\n', true);
    const { params, model } = JSON.parse(file).maps[0] as { params: { name: string; offset: number }[]; model: { params: { shape: number[] }[] } };
    expect(params.map((p) => [p.name, p.offset])).toEqual([['f.0.blkdiag1', 0], ['f.0.blkdiag2', 40], ['f.1.bias', 104]]);
    const refused = (path: (string | number)[], value: unknown) => moncErrorOf(() => decodeManifest(withField(file, path, value)));
    for (const [tensor, offset] of [[2, 100], [2, 101], [2, 103], [2, 112], [1, 36], [1, 41], [1, 44], [0, 1], [0, 8]]) {
      const error = refused(['maps', 0, 'params', tensor, 'offset'], offset);
      expect(error.kind).toBe('format');
      expect(error.message).toMatch(new RegExp(`^the manifest of module 'damaged': maps\\[0\\]: parameter '${params[tensor].name.replace(/\./g, '\\.')}' at ${offset}: the packed layout puts it at \\d+, where the kernels read it`));
    }
    const shape = refused(['maps', 0, 'model', 'params', 1, 'shape'], [4, 5, 6]);
    expect(shape.message).toBe("the manifest of module 'damaged': maps[0].model.params: tensor 'f.0.blkdiag2' has shape (4, 5, 6), the layout (.params) (4, 5, 3)");
    expect(model.params[1].shape).toEqual([4, 5, 3]);
    // The bias's 1-D shape as every message writes one (QA1 s27 Q602).
    expect(refused(['maps', 0, 'model', 'params', 2, 'shape'], [21]).message).toBe("the manifest of module 'damaged': maps[0].model.params: tensor 'f.1.bias' has shape (21,), the layout (.params) (20,)");
    expect(refused(['maps', 0, 'model', 'params', 2], undefined).message).toBe("the manifest of module 'damaged': maps[0].model.params: 2 tensors, the layout (.params) 3");
    // Session 22 review: a name listed twice (the count kept) was refused only further on, as an unknown tensor the layout holds.
    const square = manifestText('map f : 8 -> 8 = monarch(nblocks: 2)\n', true);
    const twice = moncErrorOf(() => decodeManifest(withField(square, ['maps', 0, 'model', 'params', 1, 'name'], 'f.blkdiag1')));
    expect(twice.kind).toBe('format');
    expect(twice.message).toBe("the manifest of module 'damaged': maps[0].model.params[1].name: tensor 'f.blkdiag1' is params[0] too");
    // Session 25 (OPEN-a): a name listed twice in the layout was called a missing tensor ('f.blkdiag2' is not in the
    // layout), not the name listed twice; in both lists, the layout's twice is the one named.
    const layoutTwice = moncErrorOf(() => decodeManifest(withField(square, ['maps', 0, 'params', 1, 'name'], 'f.blkdiag1')));
    expect(layoutTwice.kind).toBe('format');
    expect(layoutTwice.message).toBe("the manifest of module 'damaged': maps[0].params[1].name: tensor 'f.blkdiag1' is params[0] too");
    // The whole layout moved consistently to multiples of 4 (what development versions wrote at f32, QA2 s22 Q155 b: it ran
    // 8.4 off on WebGPU), f32 or f16: refused too.
    for (const source of ['', 'dtype f16\n']) {
      const relaid = JSON.parse(manifestText(`${source}map f : 12 -> 20 = monarch(nblocks: 4) + bias()\n`, true));
      Object.assign(relaid.maps[0], { paramSize: 116 });
      relaid.maps[0].params[1].offset = 36;
      relaid.maps[0].params[2].offset = 96;
      expect(moncErrorOf(() => decodeManifest(relaid)).message).toMatch(/maps\[0\]: parameter 'f\.0\.blkdiag2' at 36: the packed layout puts it at 40/);
    }
  });

  // QA2 s22 Q155 (addendum): a sum's last op flipped to store over the others ran that way on the CPU backend (errors of 4.9)
  // while the WebGPU kernels, compiled to add, kept the sum.
  it("an op's accumulate flag flipped, forward or backward: a format error naming the op", () => {
    const file = manifestText('map g : 8 -> 8 = monarch(nblocks: 2)\nmap f : 8 -> 8 = g @ g + diag()\n', false);
    const f = (JSON.parse(file) as { maps: { name: string }[] }).maps.findIndex((m) => m.name === 'f');
    const map = JSON.parse(file).maps[f] as { ops: Op[]; backward: { ops: Op[] } };
    type Op = { kind: string; accumulate?: boolean };
    const flips = { forward: 0, backward: 0 };
    for (const [program, ops] of [[[], map.ops], [['backward'], map.backward.ops]] as const) {
      ops.forEach((op, i) => {
        if (op.kind !== 'ks' && op.kind !== 'bsr' && op.kind !== 'bias') return;
        flips[program.length ? 'backward' : 'forward']++;
        const error = moncErrorOf(() => decodeManifest(withField(file, ['maps', f, ...program, 'ops', i, 'accumulate'], !op.accumulate)));
        expect(error.message, `${program.join('.')} ops[${i}]`).toMatch(new RegExp(`^the manifest of module 'damaged': maps\\[${f}\\]${program.length ? '\\.backward' : ''}: op ${i} \\(${op.kind}\\): (accumulates into|overwrites) '`));
      });
    }
    expect(flips.forward).toBe(5);
    expect(flips.backward).toBeGreaterThan(0);
  });

  // QA2 s23 Q251: blocks 1 and 2 of a pattern swapped were accepted and ran 86% off on WebGPU (its forward kernels read a
  // block row's k-th block as the k-th values), while the CPU backend and the reference followed the list.
  it('a block list out of row-major order, with a block twice, a backward op not listing the forward blocks swapped, or blocks that do not tile the matrix: a format error naming the op', () => {
    const file = manifestText('map s : 16 -> 16 = sparse(block: 4, pattern: band(width: 2))\n', false);
    const parsed = JSON.parse(file) as { patterns: number[][]; maps: { backward: { ops: { kind: string; transposed?: true }[] } }[] };
    expect(parsed.patterns).toEqual([[0, 0, 0, 1, 1, 0, 1, 1, 1, 2, 2, 1, 2, 2, 2, 3, 3, 2, 3, 3]]);
    const refused = (path: (string | number)[], value: unknown) => moncErrorOf(() => decodeManifest(withField(file, path, value), blockSparse));
    const swapped = refused(['patterns', 0], [0, 0, 1, 0, 0, 1, ...parsed.patterns[0].slice(6)]);
    expect(swapped.kind).toBe('format');
    expect(swapped.message).toBe(
      "the manifest of module 'damaged': maps[0]: op 0 (bsr): block 2 (0, 1) does not follow block 1 (1, 0): a bsr op lists each block once, in row-major order of (I, J)",
    );
    expect(refused(['patterns', 0], [0, 0, 0, 1, 0, 1, ...parsed.patterns[0].slice(6)]).message).toMatch(/maps\[0\]: op 0 \(bsr\): block 2 \(0, 1\) does not follow block 1 \(0, 1\)/);
    // The input gradient's op refers to the list without `transposed`: the same blocks (the band is symmetric), other z.
    const t = parsed.maps[0].backward.ops.findIndex((op) => op.kind === 'bsr' && op.transposed);
    expect(refused(['maps', 0, 'backward', 'ops', t, 'blocks'], { pattern: 0 }).message).toBe(
      `the manifest of module 'damaged': maps[0].backward: op ${t} (bsr): block 2 (1, 0) does not follow block 1 (0, 1): a bsr op lists each block once, in row-major order of (J, I), the forward blocks swapped in their order`,
    );
    // Blocks of 16 × 1 in place of 4 × 4 (the same values, block (0, 3) inside), in the op and its model: no grid of 24 rows.
    const one = JSON.parse(manifestText('map s : 24 -> 24 = sparse(block: 4, pattern: random(density: 0.03, seed: 8))\n', true));
    expect(one.patterns).toEqual([[0, 3]]);
    for (const shape of [one.maps[0].ops[0], one.maps[0].model.body]) Object.assign(shape, { bh: 16, bw: 1 });
    expect(moncErrorOf(() => decodeManifest(one, blockSparse)).message).toBe("the manifest of module 'damaged': maps[0]: op 0 (bsr): 16×1 blocks do not tile its 24×24 matrix");
  });

  // Beside Q251 (QA2 s23): a backward op's block list is a reference too; one naming another list of as many blocks, or its
  // grid the other way round, was accepted, and every backend computed the gradients of another matrix.
  it("a backward op whose blocks or grid are not those of the forward op whose weights it reads: a format error naming it", () => {
    const source = [
      'map s : 16 -> 16 = sparse(block: [2, 8], pattern: random(density: 0.05, seed: 1))',
      'map t : 16 -> 16 = sparse(block: 4, pattern: random(density: 0.5, seed: 1))',
      'map u : 16 -> 16 = sparse(block: 4, pattern: random(density: 0.5, seed: 2))',
      '',
    ].join('\n');
    const file = manifestText(source, false);
    type Op = { kind: string; blocks?: unknown; forward?: { blocks: unknown }; bh?: number; bw?: number };
    const parsed = JSON.parse(file) as { patterns: number[][]; maps: { ops: Op[]; backward: { ops: Op[] } }[] };
    expect(parsed.patterns.map((p) => p.length)).toEqual([2, 16, 16]);
    expect(parsed.maps[1].ops[0].blocks).toEqual({ pattern: 1 });
    const ops = parsed.maps[1].backward.ops;
    const [t, w] = [ops.findIndex((op) => op.kind === 'bsr'), ops.findIndex((op) => op.kind === 'wgrad')];
    expect([ops[t].blocks, ops[w].forward!.blocks]).toEqual([{ pattern: 1, transposed: true }, { pattern: 1 }]);
    const refused = (path: (string | number)[], value: unknown) => moncErrorOf(() => decodeManifest(withField(file, path, value), blockSparse));
    const other = refused(['maps', 1, 'backward', 'ops', t, 'blocks'], { pattern: 2, transposed: true });
    expect(other.kind).toBe('format');
    expect(other.message).toBe(`the manifest of module 'damaged': maps[1].backward.ops[${t}].blocks: not the blocks of ops[0], whose weights it reads, each swapped (block 0 is (1, 0), of 8)`);
    expect(refused(['maps', 1, 'backward', 'ops', w, 'forward', 'blocks'], { pattern: 2 }).message).toBe(
      `the manifest of module 'damaged': maps[1].backward.ops[${w}].forward.blocks: not the blocks of ops[0], whose weights it reads (block 0 is (0, 1), of 8)`,
    );
    // s's one block (1, 1) of 2 × 8 lies inside the transposed op's 16 × 16 matrix read in 2 × 8 blocks as well as in 8 × 2.
    const s = parsed.maps[0].backward.ops.findIndex((op) => op.kind === 'bsr');
    expect([parsed.patterns[0], parsed.maps[0].backward.ops[s].bh, parsed.maps[0].backward.ops[s].bw]).toEqual([[1, 1], 8, 2]);
    const swapped = JSON.parse(file);
    Object.assign(swapped.maps[0].backward.ops[s], { bh: 2, bw: 8 });
    expect(moncErrorOf(() => decodeManifest(swapped, blockSparse)).message).toBe(
      `the manifest of module 'damaged': maps[0].backward.ops[${s}]: 16×16 in 2×8 blocks, where ops[0], whose weights it reads, is 16×16 in 2×8 (transposed: the other way round)`,
    );
  });

  // REV s23 4: a backward ks op with another K(a, b, c, d) of the same sizes (a and d swapped) was accepted, and the CPU
  // backward gave dx 0.43 and the weight gradient 1.29 off.
  it("a backward ks op whose K(a, b, c, d) is not that of the forward op whose weights it reads: a format error naming it", () => {
    const file = manifestText('map k : 16 -> 16 = ks(a: 2, b: 2, c: 2, d: 4)\n', false);
    type Op = { kind: string; a?: number; d?: number; transposed?: boolean; forward?: { kind: string; a: number; d: number } };
    const ops = (JSON.parse(file) as { maps: { backward: { ops: Op[] } }[] }).maps[0].backward.ops;
    const [t, w] = [ops.findIndex((op) => op.kind === 'ks' && op.transposed === true), ops.findIndex((op) => op.kind === 'wgrad' && op.forward?.kind === 'ks')];
    expect([t, w].every((i) => i >= 0)).toBe(true);
    const swapped = (path: (string | number)[]) => {
      const edited = JSON.parse(file);
      const at = path.reduce((o, key) => o[key], edited);
      Object.assign(at, { a: at.d, d: at.a });
      return moncErrorOf(() => decodeManifest(edited));
    };
    const transposed = swapped(['maps', 0, 'backward', 'ops', t]);
    expect(transposed.kind).toBe('format');
    expect(transposed.message).toBe(`the manifest of module 'damaged': maps[0].backward.ops[${t}]: K(4, 2, 2, 2), where ops[0], whose weights it reads, is K(2, 2, 2, 4) (transposed: K(a, c, b, d) here)`);
    expect(swapped(['maps', 0, 'backward', 'ops', w, 'forward']).message).toBe(
      `the manifest of module 'damaged': maps[0].backward.ops[${w}].forward: K(4, 2, 2, 2), where ops[0], whose weights it reads, is K(2, 2, 2, 4)`,
    );
    expect(decodeManifest(JSON.parse(file)).maps[0].name).toBe('k');
  });

  // QA2 s26 Q557: the file's bytes, a Map or {} said "the manifest of module 'undefined' has no list of maps".
  it("what is not a manifest file's parsed JSON (its bytes, its text, a Map, an object without a module): one line saying what it got", () => {
    const bytes = new TextEncoder().encode(text);
    const refused = (value: unknown) => {
      const error = moncErrorOf(() => decodeManifest(value, blockSparse));
      return [error.kind, error.message];
    };
    const takes = "decodeManifest takes a manifest file's parsed JSON object (decodeManifest(JSON.parse(text))), got";
    expect(refused(bytes)).toEqual(['format', `${takes} Uint8Array`]);
    expect(refused(text)).toEqual(['format', `${takes} string`]);
    expect(refused(new Map(Object.entries(JSON.parse(text))))).toEqual(['format', `${takes} Map`]);
    expect(refused([JSON.parse(text)])).toEqual(['format', `${takes} Array`]);
    expect(refused(null)).toEqual(['format', `${takes} null`]);
    expect(refused({})).toEqual(['format', 'a monc manifest names its module ("module": a string), got undefined']);
    // An object of no prototype (or another realm's) is a plain object still.
    expect(decodeManifest(Object.assign(Object.create(null), JSON.parse(text)), blockSparse).module).toBe('damaged');
  });

  it('a cost past 2^31 (a large dense map\'s flops) is accepted', () => {
    expect(decodeManifest(withField(text, ['maps', 0, 'dense', 'flopsPerRow'], 2 ** 40), blockSparse).maps[0].dense.flopsPerRow).toBe(2 ** 40);
  });

  it('the bindings’ decodeModuleManifest does not check (monc wrote what they embed); decodeManifest accepts the file as written', async () => {
    const damaged = withField(text, ['maps', 0, 'ops', 0, 'kind'], 'x');
    expect((decodeModuleManifest(damaged, blockSparse).maps[0].ops[0] as { kind: string }).kind).toBe('x');
    expect((await runAll(decodeManifest(JSON.parse(text), blockSparse))).length).toBe(6);
  });
});

describe('decodeManifest of a manifest nested deeply (QA A1: a RangeError past about 1,500 levels)', () => {
  /** `text` with the first map's model body wrapped in `depth` one-stage chains. */
  function nested(text: string, depth: number): unknown {
    const file = JSON.parse(text) as { maps: { model: { body: unknown; in: number; out: number } }[] };
    const model = file.maps[0].model;
    for (let d = 0; d < depth; d++) model.body = { kind: 'chain', in: model.in, out: model.out, path: 'm', stages: [model.body] };
    return file;
  }

  it.each([600, 5000, 100_000])('a model wrapped in %i chains: one format error, with and without the block-sparse support', (depth) => {
    for (const [source, sparse] of [[SPARSE_SOURCE, blockSparse], [DENSE_SOURCE, undefined]] as const) {
      const error = moncErrorOf(() => decodeManifest(nested(manifestText(source, true), depth), sparse));
      expect(error.kind).toBe('format');
      expect(error.message).toBe("the manifest of module 'damaged' nests arrays and objects deeper than 1024 levels (a compiled map's model nests a few hundred)");
    }
  });

  it('a model wrapped in 300 chains (deeper than the language lets a compiled one nest) is accepted and runs like its float64 reference', async () => {
    const manifest = decodeManifest(nested(manifestText(DENSE_SOURCE, false), 300));
    const [y, reference, dx] = await runAll(manifest);
    expect(y.every(Number.isFinite) && dx.every(Number.isFinite)).toBe(true);
    expect(Math.max(...y.map((v, i) => Math.abs(v - reference[i])))).toBeLessThan(1e-5);
  });
});

describe('one field of a valid manifest changed at random', () => {
  const VALUES: unknown[] = [undefined, null, 0, -1, 1.5, 1e12, '', 'x', 'y', 't0', [], {}, true, false, NaN, 2 ** 31, [0], [-1, 5], { size: 3 }];
  /** Fields that neither an executor nor the float64 reference reads to run a map (what a change there must leave alone). */
  const NOT_RUN = new Set(['dense', 'flopsPerRow', 'bytesPerRow', 'paramBytes', 'paramCount', 'optimizers', 'trainingStep', 'kernelSets', 'monc', 'source', 'wgsl']);

  function fieldPaths(value: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
    if (path.length > 0) out.push(path);
    if (value !== null && typeof value === 'object' && path.length < 8) {
      for (const [k, v] of Object.entries(value)) fieldPaths(v, [...path, Array.isArray(value) ? Number(k) : k], out);
    }
    return out;
  }

  it.each([
    ['block-sparse, low-rank, bias, transposes; forward only', SPARSE_SOURCE, true],
    ['the same with backward programs', SPARSE_SOURCE, false],
    ['an f16 module with backward programs', F16_SOURCE, false],
  ])('%s: a format error, or maps that run to finite results (the unchanged ones where the field is not run)', async (_, source, forwardOnly) => {
    const text = manifestText(source, forwardOnly);
    const paths = fieldPaths(JSON.parse(text));
    const expected = await runAll(decodeManifest(JSON.parse(text), blockSparse));
    await fc.assert(
      fc.asyncProperty(
        fc.nat(paths.length - 1),
        fc.oneof(fc.constantFrom(...VALUES), fc.integer({ min: -3, max: 3 }).map((d) => ({ delta: d }))),
        async (k, change) => {
          const path = paths[k];
          const original = path.reduce<unknown>((o, key) => (o as Record<string | number, unknown>)[key], JSON.parse(text));
          const value = typeof change === 'object' && change !== null && 'delta' in change ? (typeof original === 'number' ? original + (change as { delta: number }).delta : original) : change;
          let manifest: Manifest;
          try {
            manifest = decodeManifest(withField(text, path, value), blockSparse);
          } catch (e) {
            if (!(e instanceof MoncError)) throw new Error(`${path.join('.')} = ${JSON.stringify(value)}: ${String(e)}`);
            return;
          }
          let got: Float32Array[];
          try {
            got = await runAll(manifest);
          } catch (e) {
            if (!(e instanceof MoncError)) throw new Error(`${path.join('.')} = ${JSON.stringify(value)}: accepted, then ${String(e)}`);
            return;
          }
          // (A map removed, or the maps list emptied, leaves fewer results: a valid manifest of other maps.)
          for (const r of got) expect(r.every(Number.isFinite), `${path.join('.')} = ${JSON.stringify(value)}: finite results`).toBe(true);
          if (path.some((key) => typeof key === 'string' && NOT_RUN.has(key))) expect(got).toEqual(expected);
          // What reports compute with: accepted costs are counts (a NaN or a string would print as one).
          for (const map of manifest.maps) {
            for (const c of [map.paramCount, map.flopsPerRow, map.bytesPerRow, map.paramBytes, map.dense.paramCount, map.dense.flopsPerRow, ...map.kernels.flatMap((k) => [k.flopsPerRow, k.bytesPerRow, k.paramBytes])]) {
              expect(Number.isSafeInteger(c) && c >= 0, `${path.join('.')} = ${JSON.stringify(value)}: costs are counts`).toBe(true);
            }
          }
        },
      ),
      { numRuns: 250, seed: 12 },
    );
  });
});
