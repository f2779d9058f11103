/**
 * `MapRunner.create(map, wgsl, options)` from JavaScript: options of the wrong kind are refused at
 * `create`, as one MoncError of kind `user` naming the option and what it takes, on both backends
 * (QA s10 A3). Before, `{ device: getSharedDevice()'s result }` or `{}` threw a TypeError, the
 * adapter as the device made a runner whose first forward threw one, options given as a string
 * ('cpu') ran on WebGPU, and `training: 'yes'` was taken as true. What the options may be (null
 * or absent, a null device, training false) still runs like the float64 reference.
 */
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MapRunner, type MapRunnerOptions } from '../../src/runtime/map-runner.js';
import { checkedMap, monarch, randomParams, rng } from '../ir/structures.js';
import { getTestMoncDevice } from '../support/gpu.js';
import { randomArray, relativeError } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
import { expectMoncError } from '../support/user-error.js';
import { compileModuleForTest } from '../training/compile.js';

const checked = checkedMap('m', monarch(12, 12, 3));
const compiled = compileModuleForTest(checked);
const params = new Map([...randomParams(checked.structure, rng(21))].map(([k, v]) => [k, Float32Array.from(v)]));
const map = compiled.manifest.maps[0];

/** create as JavaScript may call it: any options at all. */
const create = (options: unknown) => MapRunner.create(map, compiled.wgsl, options as MapRunnerOptions);

describe('create refuses options of the wrong kind, naming the option', () => {
  const takes = "map 'm': device must be a GPUDevice (getSharedDevice()'s .device), got";

  it('a device that is not a GPUDevice: getSharedDevice()’s result, the adapter, an empty object, a string', async () => {
    const shared = await getTestMoncDevice();
    await expectMoncError(() => create({ device: shared }), 'user', `${takes} object`);
    await expectMoncError(() => create({ device: shared.adapter }), 'user', `${takes} GPUAdapter`);
    await expectMoncError(() => create({ device: {} }), 'user', `${takes} object`);
    await expectMoncError(() => create({ device: Object.create(null) }), 'user', `${takes} object`);
    await expectMoncError(() => create({ device: 'gpu', backend: 'webgpu' }), 'user', `${takes} 'gpu' (a string)`);
  });

  // install.md's errors table and runtime.md quote the first refusal above, for a map named 'up' (QA2 s28 Q751: install.md
  // said 'got Object').
  it('the docs quote getSharedDevice()’s result refused as the device as create words it', () => {
    for (const doc of ['install.md', 'runtime.md']) {
      const text = readFileSync(join(import.meta.dirname, '../../docs', doc), 'utf8');
      expect(text, doc).toContain(`${takes.replace("'m'", "'up'")} object\``);
      expect(text, doc).not.toMatch(/device must be a GPUDevice \(getSharedDevice\(\)'s \.device\), got (?!object`)/);
    }
  });

  // A string is quoted and said to be one, an object named by its class, anything else shown as it is (mustBe, shown()):
  // String() said 'got [object Object]' for {}, and 'got cpu' for ['cpu'], as if 'cpu' were refused (REV s25 1).
  it.each(['webgpu', 'cpu'] as const)('on %s: training that is not a boolean, options that are not an object, a backend typo', async (backend) => {
    for (const [training, got] of [['yes', "'yes' (a string)"], [1, '1'], ['false', "'false' (a string)"], [{}, 'object']]) {
      await expectMoncError(() => create({ backend, training }), 'user', `map 'm': training must be true or false, got ${got}`);
    }
    // QA2 s30 Q955: an array, a Map or a Date ran with the defaults.
    for (const [options, got] of [['cpu', "'cpu' (a string)"], ['webgpu', "'webgpu' (a string)"], [7, '7'], [true, 'true'], [[], 'Array'], [new Map(), 'Map'], [new Date(0), 'Date']] as [unknown, string][]) {
      await expectMoncError(() => create(options), 'user', `map 'm': options must be an object, got ${got}`);
    }
    const upper = backend.toUpperCase();
    await expectMoncError(() => create({ backend: upper }), 'user', `map 'm': backend must be 'webgpu' or 'cpu', got '${upper}' (a string)`);
    for (const [wrong, got] of [[{}, 'object'], [[backend], 'Array'], [Symbol(backend), `Symbol(${backend})`]] as [unknown, string][]) {
      await expectMoncError(() => create({ backend: wrong }), 'user', `map 'm': backend must be 'webgpu' or 'cpu', got ${got}`);
      await expectMoncError(() => create({ backend, dtype: wrong }), 'user', `map 'm': dtype must be 'f32' (this module's), got ${got}`);
    }
  });
});

describe('create takes what the options may be', () => {
  const batch = 3;
  const x = randomArray(batch * 12, rng(22));
  const want = referenceApply(checked.structure, params, x, batch);

  it.each<[string, unknown]>([
    ['no options', undefined],
    ['null options', null],
    ['a null device (none)', { device: null }],
    // As create's check takes a falsy device: none (the fuzz found `false` reaching the executor).
    ['a false device (none)', { device: false }],
    ['training false', { training: false }],
    ['the test device, training true', 'device'],
    ['the cpu backend, training true', { backend: 'cpu', training: true }],
    // REV31-1: options made in another realm (an iframe's page, a node:vm context) were 'options must be an object, got object'.
    ['options made in another realm (node:vm)', runInNewContext("({ backend: 'cpu' })")],
    ['options with no prototype', Object.assign(Object.create(null), { backend: 'cpu' })],
  ])('%s: runs like the float64 reference', async (_, given) => {
    const options = given === 'device' ? { device: (await getTestMoncDevice()).device, training: true } : given;
    const runner = await create(options);
    try {
      runner.loadParams(params);
      expect(relativeError(await runner.forward(x, batch), want)).toBeLessThan(1e-5);
    } finally {
      runner.destroy();
    }
  });
});
