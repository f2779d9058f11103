/**
 * Mistakes a caller can make are MoncErrors of a kind with a one-line message, never a plain
 * Error (which the CLI and users take for a bug in monc): calls out of order (forward before
 * loadParams, an optimizer step before any backward, anything after destroy), bad optimizer
 * options, and projection onto the manifest of a module built before manifests carried a model.
 * On both backends; a refused step leaves the parameters as they were.
 */
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { Manifest, ManifestMap } from '../../src/manifest/types.js';
import { checkDenseShape, project, projectInto } from '../../src/project/index.js';
import { FormatError } from '../../src/runtime/formats/format-error.js';
import { writeSafetensors } from '../../src/runtime/formats/safetensors.js';
import { requestMoncDevice } from '../../src/runtime/device.js';
import { MapRunner, type Backend } from '../../src/runtime/map-runner.js';
import { checkMomentum, type OptimizerOptions } from '../../src/runtime/optimizer-options.js';
import { TypedMap } from '../../src/runtime/typed-map.js';
import { bias, checkedMap, monarch, randomParams, rng, sum } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { expectMoncError, expectMoncErrorNow } from '../support/user-error.js';
import { compileModuleForTest } from '../training/compile.js';

/** A Monarch map plus a bias: Adam's weight decay would move both without gradients. */
const checked = checkedMap('m', sum(monarch(12, 12, 3), bias(12)));
const compiled = compileModuleForTest(checked);
const params = new Map([...randomParams(checked.structure, rng(3))].map(([k, v]) => [k, Float32Array.from(v)]));
const batch = 2;
const x = Float32Array.from({ length: batch * checked.in }, (_, i) => Math.sin(i));
const dy = Float32Array.from({ length: batch * checked.out }, (_, i) => Math.cos(i));

async function runner(backend: Backend, map: ManifestMap = compiled.manifest.maps[0], training = false): Promise<MapRunner> {
  return MapRunner.create(map, compiled.wgsl, { backend, training, ...(backend === 'webgpu' ? { device: await getTestDevice() } : {}) });
}

describe.each(['webgpu', 'cpu'] as const)('misuse on %s', (backend: Backend) => {
  it('forward before loadParams', async () => {
    const r = await runner(backend);
    try {
      await expectMoncError(() => r.forward(x, batch), 'user', "map 'm': call loadParams() before running it");
    } finally {
      r.destroy();
    }
  });

  // QA2 s19 R84: a bare TypeError before. The runner keeps the parameters it had and runs with them.
  it('loadParams with an element that does not convert to a number: kind user, naming the tensor; the runner runs on', async () => {
    const r = await runner(backend);
    r.loadParams(params);
    try {
      const want = await r.forward(x, batch);
      const [name, values] = [...params][0];
      const throwing = { valueOf: () => { throw new Error('no number here'); } };
      for (const [bad, said] of [
        [Object.assign(Array.from(values) as unknown[], { 3: 1n }), 'TypeError: Cannot convert a BigInt value to a number'],
        [new BigInt64Array(values.length), 'TypeError: Cannot convert a BigInt value to a number'],
        [Object.assign(Array.from(values) as unknown[], { 0: throwing }), 'Error: no number here'],
      ] as const) {
        expectMoncErrorNow(() => r.loadParams(new Map([...params, [name, bad as never]])), 'user', `parameter tensor '${name}' must be numbers, got ${said}`);
        expect(await r.forward(x, batch)).toEqual(want);
      }
    } finally {
      r.destroy();
    }
  });

  it('a batch that is not a whole number ≥ 0 is named as the mistake, not the input (forward, backward)', async () => {
    const r = await runner(backend, undefined, true);
    r.loadParams(Object.fromEntries(params));
    try {
      for (const bad of [-1, 1.5, Number.NaN]) {
        await expectMoncError(() => r.forward(x, bad), 'user', `map 'm': forward: batch must be a whole number ≥ 0, got ${bad}`);
        await expectMoncError(() => r.forward(x, { batch: bad }), 'user', `map 'm': forward: batch must be a whole number ≥ 0, got ${bad}`);
        await expectMoncError(() => r.backward(x, dy, bad), 'user', `map 'm': backward: batch must be a whole number ≥ 0, got ${bad}`);
      }
      // A whole batch that does not match the input is still the input's shape.
      await expectMoncError(() => r.forward(x, 3), 'shape', `map 'm': input has ${x.length} values; expected batch 3 x 12 = 36`);
    } finally {
      r.destroy();
    }
  });

  it('arguments of the wrong type (calls from JavaScript) are one-line errors of their kind, not TypeErrors', async () => {
    const r = await runner(backend, undefined, true);
    const js = r as unknown as { loadParams(p: unknown): void; forward(x: unknown, o?: unknown): Promise<Float32Array>; backward(x: unknown, dy: unknown): Promise<unknown> };
    try {
      await expectMoncError(() => js.loadParams(undefined), 'user', "map 'm': parameters must be tensors by name (an object or a Map) or safetensors bytes, got undefined");
      const [first] = params.keys();
      await expectMoncError(() => js.loadParams({ ...Object.fromEntries(params), [first]: null }), 'param', `missing parameter tensor '${first}' (expected shape`);
      r.loadParams(Object.fromEntries(params));
      await expectMoncError(() => js.forward(undefined), 'user', "map 'm': forward: the input must be an array of numbers, got undefined");
      await expectMoncError(() => js.forward(x, '2'), 'user', "map 'm': forward: batch must be a whole number ≥ 0, got '2' (a string)");
      await expectMoncError(() => MapRunner.create(undefined as unknown as ManifestMap, compiled.wgsl), 'user', "MapRunner.create(map, wgsl) takes a decoded manifest's maps[i]");
      await expectMoncError(() => js.backward(x, null), 'user', "map 'm': backward: the output gradient must be an array of numbers, got null");
      // QA2 s20 R93: what the docs say x may be (any array of numbers), not 'a Float32Array'; a batch given as options is named by its type.
      for (const [bad, got] of [['abc', "'abc' (a string)"], [new DataView(new ArrayBuffer(8)), 'DataView'], [new ArrayBuffer(256), 'ArrayBuffer'], [null, 'null']] as const) {
        await expectMoncError(() => js.forward(bad, 1), 'user', `map 'm': forward: the input must be an array of numbers, got ${got}`);
      }
      await expectMoncError(() => r.backward(x, dy, { batch: batch } as never), 'user', "map 'm': backward: batch must be a whole number ≥ 0, got object");
      for (const typo of ['CPU', 'gpu']) {
        await expectMoncError(() => MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, { backend: typo as Backend }), 'user', `map 'm': backend must be 'webgpu' or 'cpu', got '${typo}' (a string)`);
      }
    } finally {
      r.destroy();
    }
  });

  // QA2 s31 Q1051: loadParams(readFile(path)) without await said the map's first tensor was missing (kind param), as did a
  // DataView, an Array or a Float32Array; out passed bare as forward's options was 'no option '0'', and an Array, a Map or
  // a Date ran as no options. Each is refused by what it is (kind user), as create's options are.
  it("loadParams' argument and forward's options of the wrong kind are named by their class", async () => {
    const r = await runner(backend);
    const js = r as unknown as { loadParams(p: unknown): void; forward(x: unknown, o?: unknown): Promise<Float32Array> };
    try {
      const expects = "map 'm': parameters must be tensors by name (an object or a Map) or safetensors bytes, got";
      for (const [bad, got] of [
        [Promise.resolve(new Uint8Array()), 'Promise'],
        [new DataView(new ArrayBuffer(8)), 'DataView'],
        [[...params.values()], 'Array'],
        [new Float32Array(4), 'Float32Array'],
        [new Date(), 'Date'],
        [[...params.keys()][0], `'${[...params.keys()][0]}' (a string)`],
        [5n, "'5' (a bigint)"],
        [5, '5'],
        [null, 'null'],
      ] as const) {
        expectMoncErrorNow(() => js.loadParams(bad), 'user', `${expects} ${got}`);
      }
      // Tensors by name still load from a Map, a plain object and one with no prototype.
      r.loadParams(params);
      const want = await r.forward(x, batch);
      r.loadParams(Object.assign(Object.create(null), Object.fromEntries(params)));
      expect(await r.forward(x, batch)).toEqual(want);
      // REV31-1: a plain object of another realm (an iframe's page, a node:vm context) is one too.
      r.loadParams(Object.assign(runInNewContext('({})'), Object.fromEntries(params)));
      expect(await r.forward(x, batch)).toEqual(want);
      expect(await r.forward(x, runInNewContext(`({ batch: ${batch} })`))).toEqual(want);
      // forward's second argument is the batch or an options object: anything else is refused as the batch.
      const options = "map 'm': forward: batch must be a whole number ≥ 0, got";
      for (const [bad, got] of [[new Float32Array(batch * r.out), 'Float32Array'], [[], 'Array'], [[batch], 'Array'], [new Map([['batch', batch]]), 'Map'], [new Date(), 'Date']] as const) {
        await expectMoncError(() => js.forward(x, bad), 'user', `${options} ${got}`);
      }
      expect(await r.forward(x, Object.assign(Object.create(null), { batch }))).toEqual(want);
      // fitMse's and createOptimizer's options alike.
      await expectMoncError(() => r.fitMse(x, dy, new Map() as never), 'user', "map 'm': fitMse needs options { steps, optimizer, … }, got Map");
      await expectMoncError(() => r.createOptimizer(new Date() as never), 'user', "map 'm': optimizer options must be an object { kind: 'sgd' | 'adam' | 'adamw', lr, … }, got Date");
    } finally {
      r.destroy();
    }
  });

  it('create with something other than a map and its WGSL (the manifest itself, a map name, no WGSL) says what it got and what it takes', async () => {
    const create = MapRunner.create as (map: unknown, wgsl: unknown, options: { backend: Backend }) => Promise<MapRunner>;
    const takes = "MapRunner.create(map, wgsl) takes a decoded manifest's maps[i] and the module's WGSL text, got";
    const cases: [unknown, unknown, string][] = [
      [compiled.manifest, 'm', '(object, string)'],
      ['m', compiled.wgsl, '(string, string)'],
      [{ name: 'm' }, '', '(object, string)'],
      [null, null, '(null, null)'],
      [compiled.manifest.maps[0], undefined, '(object, undefined)'],
    ];
    for (const [map, wgsl, got] of cases) await expectMoncError(() => create(map, wgsl, { backend }), 'user', `${takes} ${got}`);
  });

  it("a generated class loads safetensors bytes given as an ArrayBuffer (what fetch's arrayBuffer() gives)", async () => {
    const r = await runner(backend);
    try {
      const bytes = writeSafetensors(new Map(compiled.manifest.maps[0].params.map((e) => [e.name, { shape: e.shape, data: params.get(e.name)! }])), { dtype: 'F32' });
      new Typed(r).loadParams(bytes.slice().buffer);
      const fromBytes = await r.forward(x, batch);
      r.loadParams(Object.fromEntries(params));
      expect(fromBytes).toEqual(await r.forward(x, batch));
    } finally {
      r.destroy();
    }
  });

  // QA2 s23 Q258: a BigInt was printed as the valid number it looks like ('input(2): the staging holds 0 to 2 rows').
  it("a BigInt batch, staging size, fitMse or optimizer option is refused, shown as a bigint", async () => {
    const r = await runner(backend, undefined, true);
    r.loadParams(Object.fromEntries(params));
    const staging = r.createStaging(2);
    const sgd = { kind: 'sgd', lr: 0.1 } as const;
    try {
      await expectMoncError(() => staging.input(2n as never), 'user', "map 'm': input('2' (a bigint)): the staging holds 0 to 2 rows");
      await expectMoncError(() => r.createStaging(2n as never), 'user', "a staging's capacity must be a positive whole number of rows, got '2' (a bigint)");
      // forward's and backward's batch (checkBatch, in every page) printed 2n as 2 until session 24 found the bytes.
      await expectMoncError(() => r.forward(x, 2n as never), 'user', "map 'm': forward: batch must be a whole number ≥ 0, got '2' (a bigint)");
      await expectMoncError(() => r.forward(x, { batch: 2n as never }), 'user', "map 'm': forward: batch must be a whole number ≥ 0, got '2' (a bigint)");
      await expectMoncError(() => r.backward(x, dy, 2n as never), 'user', "map 'm': backward: batch must be a whole number ≥ 0, got '2' (a bigint)");
      await expectMoncError(() => r.fitMse(x, dy, { steps: 2n as never, optimizer: sgd }), 'user', "map 'm': fitMse steps must be a whole number of at least 1, got '2' (a bigint)");
      await expectMoncError(() => r.fitMse(x, dy, { steps: 1, batch: 2n as never, optimizer: sgd }), 'user', "map 'm': fitMse batch must be a whole number of at least 1, got '2' (a bigint)");
      await expectMoncError(() => r.fitMse(x, dy, { steps: 1, seed: 2n as never, optimizer: sgd }), 'user', "map 'm': fitMse seed must be a non-negative integer, got '2' (a bigint)");
      await expectMoncError(() => r.createOptimizer({ kind: 'sgd', lr: 1n as never }), 'user', "map 'm': optimizer sgd: invalid lr '1' (a bigint)");
      await expectMoncError(() => r.createOptimizer({ ...sgd, momentum: 0n as never }), 'user', "map 'm': optimizer sgd: momentum must be a number in [0, 1), got '0' (a bigint)");
    } finally {
      staging.destroy();
      r.destroy();
    }
  });

  // REV s25 1, the same class in the opt-in entries (shown()): String() said 'got [object Object]', and '[0]' as '0'.
  it('an object or array as a batch, staging size, fitMse or optimizer option is named by its class', async () => {
    const r = await runner(backend, undefined, true);
    r.loadParams(Object.fromEntries(params));
    const staging = r.createStaging(2);
    const sgd = { kind: 'sgd', lr: 0.1 } as const;
    try {
      await expectMoncError(() => staging.input({} as never), 'user', "map 'm': input(object): the staging holds 0 to 2 rows");
      await expectMoncError(() => r.createStaging([2] as never), 'user', "a staging's capacity must be a positive whole number of rows, got Array");
      await expectMoncError(() => r.forward(x, { batch: [2] as never }), 'user', "map 'm': forward: batch must be a whole number ≥ 0, got Array");
      await expectMoncError(() => r.forward(x, { chunkRows: {} as never }), 'user', "map 'm': chunkRows must be a positive whole number of rows or Infinity, got object");
      await expectMoncError(() => r.fitMse(x, dy, { steps: {} as never, optimizer: sgd }), 'user', "map 'm': fitMse steps must be a whole number of at least 1, got object");
      // QA2 s30 Q951: an array is no options object (it was refused as having an option '0').
      await expectMoncError(() => r.fitMse(x, dy, [1] as never), 'user', "map 'm': fitMse needs options { steps, optimizer, … }, got Array");
      await expectMoncError(() => r.createOptimizer({ kind: 'sgd', lr: [0.1] as never }), 'user', "map 'm': optimizer sgd: invalid lr Array");
      await expectMoncError(() => r.createOptimizer({ ...sgd, momentum: new Number(0.5) as never }), 'user', "map 'm': optimizer sgd: momentum must be a number in [0, 1), got Number");
    } finally {
      staging.destroy();
      r.destroy();
    }
  });

  it('a staging used out of order or beyond its capacity', async () => {
    const r = await runner(backend);
    r.loadParams(Object.fromEntries(params));
    const staging = r.createStaging(2);
    try {
      await expectMoncError(() => r.createStaging(0), 'user', "a staging's capacity must be a positive whole number of rows, got 0");
      // A string is shown as one, not as the number it looks like (QA2 s12 R7), as forward's batch is.
      await expectMoncError(() => r.createStaging('4' as never), 'user', "a staging's capacity must be a positive whole number of rows, got '4' (a string)");
      await expectMoncError(() => r.forward(new Float32Array(2 * r.in), { chunkRows: '2' as never }), 'user', "map 'm': chunkRows must be a positive whole number of rows or Infinity, got '2' (a string)");
      await expectMoncError(() => staging.run(), 'user', "map 'm': run() out of order");
      await expectMoncError(() => staging.input(3), 'user', "map 'm': input(3): the staging holds 0 to 2 rows");
    } finally {
      staging.destroy();
      r.destroy();
    }
  });

  it.each([
    [{ kind: 'sgd', lr: -1 }, "map 'm': optimizer sgd: invalid lr -1"],
    [{ kind: 'adam', lr: 0.1, beta1: 1 }, "map 'm': optimizer adam: invalid beta1 1"],
    // SGD momentum in [0, 1) (QA2 s19 R83: at 1 or more it diverges): checkMomentum, the CLI's --momentum rule too (REV s19 8).
    [{ kind: 'sgd', lr: 0.1, momentum: 1 }, "map 'm': optimizer sgd: momentum must be a number in [0, 1), got 1"],
    [{ kind: 'sgd', lr: 0.1, momentum: Number.NaN }, "map 'm': optimizer sgd: momentum must be a number in [0, 1), got NaN"],
    [{ kind: 'adamw', lr: Number.NaN }, "map 'm': optimizer adamw: invalid lr NaN"],
    // From JavaScript, where the types do not hold: a misspelt or missing kind, no options at all.
    [{ kind: 'Adam', lr: 1 }, "map 'm': optimizer kind must be 'sgd', 'adam' or 'adamw', got 'Adam'"],
    [{ lr: 1 }, "map 'm': optimizer kind must be 'sgd', 'adam' or 'adamw', got undefined"],
    [undefined, "map 'm': optimizer options must be an object { kind: 'sgd' | 'adam' | 'adamw', lr, … }, got undefined"],
    // QA2 s30 Q951: named as every refusal names a value (one line, a BigInt as one, an array by its class), and null is
    // a value, not a left-out option (eps: null took the default).
    ['a\nb', "map 'm': optimizer options must be an object { kind: 'sgd' | 'adam' | 'adamw', lr, … }, got 'a\\nb' (a string)"],
    [10n, "map 'm': optimizer options must be an object { kind: 'sgd' | 'adam' | 'adamw', lr, … }, got '10' (a bigint)"],
    [[1], "map 'm': optimizer options must be an object { kind: 'sgd' | 'adam' | 'adamw', lr, … }, got Array"],
    [{ kind: 'adam', lr: 1, eps: null }, "map 'm': optimizer adam: invalid eps null"],
    [{ kind: 'sgd', lr: 1, weightDecay: null }, "map 'm': optimizer sgd: invalid weightDecay null"],
  ] as const)('createOptimizer(%o) refuses the option', async (options, message) => {
    const r = await runner(backend);
    try {
      await expectMoncError(() => r.createOptimizer(options as OptimizerOptions), 'user', message);
    } finally {
      r.destroy();
    }
  });

  // Loaded up front the runner hands out the backend's optimizer; otherwise a deferred one that loads it on step().
  it.each([false, true])('a step before any backward is refused and moves nothing (training loaded up front: %s)', async (training) => {
    const r = await runner(backend, undefined, training);
    try {
      r.loadParams(params);
      const opt = r.createOptimizer({ kind: 'adamw', lr: 0.1, weightDecay: 0.5 });
      await expectMoncError(() => opt.step(), 'user', "map 'm': call backward() before an optimizer step");
      if (training && backend === 'webgpu') {
        const encoder = (await getTestDevice()).createCommandEncoder();
        await expectMoncError(() => opt.encodeStep(encoder), 'user', 'call backward() before an optimizer step');
      }
      expect(opt.steps).toBe(0);
      const after = await r.params();
      for (const [name, p] of params) expect(after.get(name), name).toEqual(p);
      // After a backward the same optimizer steps (and the parameters move).
      await r.backward(x, dy, batch);
      await opt.step();
      expect(opt.steps).toBe(1);
      const stepped = await r.params();
      for (const [name, p] of params) expect(stepped.get(name), name).not.toEqual(p);
    } finally {
      r.destroy();
    }
  });

  it('every call after destroy(), and a step of an optimizer created before it', async () => {
    const r = await runner(backend);
    r.loadParams(params);
    await r.backward(x, dy, batch);
    const opt = r.createOptimizer({ kind: 'sgd', lr: 0.1 });
    r.destroy();
    const destroyed = "map 'm': the runner was destroyed";
    await expectMoncError(() => r.forward(x, batch), 'user', destroyed);
    await expectMoncError(() => r.loadParams(params), 'user', destroyed);
    await expectMoncError(() => r.backward(x, dy, batch), 'user', destroyed);
    await expectMoncError(() => r.createOptimizer({ kind: 'sgd', lr: 0.1 }), 'user', destroyed);
    await expectMoncError(() => r.params(), 'user', destroyed);
    await expectMoncError(() => r.saveParams(), 'user', destroyed);
    await expectMoncError(() => r.createStaging(1), 'user', destroyed);
    await expectMoncError(() => opt.step(), 'user', destroyed);
  });

  it('a step after destroy() of an optimizer handed out before the training code was loaded', async () => {
    const r = await runner(backend);
    r.loadParams(params);
    const opt = r.createOptimizer({ kind: 'adam', lr: 0.1 });
    r.destroy();
    await expectMoncError(() => opt.step(), 'user', "map 'm': the runner was destroyed");
  });
});

/** REV s19 8: one rule for SGD's momentum, which `monc train --momentum` checks too, naming its flag. */
describe('checkMomentum', () => {
  it.each([0, 0.5, 0.999])('takes %d', (m) => expect(() => checkMomentum(m, '--momentum')).not.toThrow());
  it.each([1, 1.5, -0.1, Number.NaN, Number.POSITIVE_INFINITY])('refuses %d, in the caller\'s words', (m) => {
    expectMoncErrorNow(() => checkMomentum(m, '--momentum'), 'user', `--momentum must be a number in [0, 1), got ${m}`);
  });
});

// QA2 s21 Q53: encodeStep(null) was a TypeError and counted the step it did not record (a later Adam step then used
// the wrong bias corrections).
it('encodeStep refuses what is not a GPUCommandEncoder (kind user, as encodeForward), and counts no step', async () => {
  const r = await runner('webgpu', undefined, true);
  try {
    r.loadParams(params);
    await r.backward(x, dy, batch);
    const opt = r.createOptimizer({ kind: 'adam', lr: 0.01 });
    const device = await getTestDevice();
    const pass = device.createCommandEncoder().beginComputePass();
    for (const [encoder, shown] of [[null, 'null'], [undefined, 'undefined'], [{}, 'object'], [pass, 'GPUComputePassEncoder']] as const) {
      expectMoncErrorNow(() => opt.encodeStep(encoder as unknown as GPUCommandEncoder), 'user', `map 'm': encodeStep: encoder must be a GPUCommandEncoder, got ${shown}`);
    }
    pass.end();
    expect(opt.steps).toBe(0);
    const encoder = device.createCommandEncoder();
    opt.encodeStep(encoder);
    device.queue.submit([encoder.finish()]);
    expect(opt.steps).toBe(1);
  } finally {
    r.destroy();
  }
});

describe('webgpu-only calls on the cpu backend', () => {
  it('encodeForward and encodeStep say they need webgpu', async () => {
    const r = await runner('cpu', undefined, true);
    try {
      r.loadParams(params);
      const fake = {} as GPUCommandEncoder;
      await expectMoncError(() => r.encodeForward(fake, {} as GPUBuffer, {} as GPUBuffer, 1), 'user', "map 'm': encodeForward needs the webgpu backend");
      await expectMoncError(() => r.createOptimizer({ kind: 'sgd', lr: 0.1 }).encodeStep(fake), 'user', 'encodeStep needs the webgpu backend');
    } finally {
      r.destroy();
    }
  });
});

/** A generated class's shape, for projectInto (the bindings add only sizes and create()). */
class Typed extends TypedMap<Record<string, Float32Array>> {
  constructor(runner: MapRunner) {
    super(runner);
  }
}

describe('projection onto a module built by an older monc (no model in its manifest)', () => {
  const old = JSON.parse(JSON.stringify(compiled.manifest)) as Manifest;
  for (const m of old.maps) delete (m as { model?: unknown }).model;
  const oldMap = old.maps[0];
  const w = Float64Array.from({ length: checked.out * checked.in }, (_, i) => Math.sin(3 * i));

  it('project(map.model) and checkDenseShape are FormatErrors that say to rebuild', async () => {
    const e = await expectMoncError(() => project(oldMap.model, w), 'format', 'built by an older monc; rebuild the module with this version');
    expect(e).toBeInstanceOf(FormatError);
    await expectMoncError(() => checkDenseShape(oldMap.model, [checked.out, checked.in]), 'format', 'older monc');
  });

  it.each(['webgpu', 'cpu'] as const)('projectInto a %s runner of it names the map and leaves it without params', async (backend) => {
    const r = await runner(backend, oldMap);
    try {
      const e = await expectMoncError(() => projectInto(new Typed(r), w), 'format', "map 'm': its manifest has no model (built by an older monc); rebuild the module");
      expect(e).toBeInstanceOf(FormatError);
      await expectMoncError(() => r.forward(x, batch), 'user', 'call loadParams() before running it');
    } finally {
      r.destroy();
    }
  });

  it('what is not a model at all is a user error that says what project() takes', async () => {
    for (const notAModel of [compiled.manifest, oldMap, null, 42, {}]) {
      await expectMoncError(() => project(notAModel as never, w), 'user', "project() takes a map's model");
    }
    await expectMoncError(() => projectInto(compiled.manifest.maps[0] as never, w), 'user', 'projectInto() takes an instance of a generated class');
  });
});

describe('null for an options object (JavaScript callers)', () => {
  it('MapRunner.create(map, wgsl, null) and requestMoncDevice(null) take it as no options, as undefined', async () => {
    const [r, cpu] = [await MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, null as never), await runner('cpu')];
    try {
      for (const each of [r, cpu]) each.loadParams(Object.fromEntries(params));
      const want = await cpu.forward(x, batch);
      expect(Math.max(...(await r.forward(x, batch)).map((v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-5);
    } finally {
      r.destroy();
      cpu.destroy();
    }
    const { device } = await requestMoncDevice(null as never);
    expect(device.limits.maxBufferSize).toBeGreaterThan(0);
    device.destroy();
  });
});
