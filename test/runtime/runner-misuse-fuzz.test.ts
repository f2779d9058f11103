/**
 * From JavaScript a runner's calls may get anything: each call of the runner (forward, backward,
 * fitMse, createStaging, createOptimizer, loadParams, dense, params, encodeForward,
 * encodeBackward) with up to four arbitrary arguments (undefined, null, numbers, NaN, strings,
 * objects, arrays, typed arrays of other lengths, a DataView, bigints, option objects with bad
 * values) resolves or fails with a MoncError (docs/install.md: any other error is a bug in monc),
 * on the cpu backend and on WebGPU; so does `MapRunner.create` given options of any kind (or with
 * a backend, device and training of any kind), and the runners it makes run. (Symbols are left out: every message's template would throw.
 * The encode calls get a real encoder first: monc does not check WebGPU's own objects.)
 */
import { fc, test } from '@fast-check/vitest';
import '../../src/runtime/cpu.js';
import '../../src/runtime/training.js';
import '../../src/runtime/host-io-entry.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { MoncError } from '../../src/util/error.js';
import { bias, checkedMap, monarch, randomParams, rng, sum } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { compileModuleForTest } from '../training/compile.js';

const checked = checkedMap('a', sum(monarch(8, 8, 2), bias(8)));
const compiled = compileModuleForTest(checked);
const params = Object.fromEntries([...randomParams(checked.structure, rng(1))].map(([k, v]) => [k, Float32Array.from(v)]));
const garbage = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.double(), fc.string(), fc.constant({}), fc.constant([]),
  fc.constant(new Float32Array(8)), fc.constant(new Float32Array(16)), fc.constant(new DataView(new ArrayBuffer(8))),
  fc.constant({ batch: 2 }), fc.constant({ batch: -1 }), fc.constant({ out: new Float32Array(3) }), fc.constant({ chunkRows: 0 }), fc.constant({ kind: 'adam', lr: 'x' }),
  fc.constant({ steps: 1, optimizer: { kind: 'sgd', lr: 0.1 } }), fc.constant(new Uint8Array(4)), fc.constant([1, 2, 3]), fc.constant(NaN), fc.constant(Infinity), fc.bigInt());
const calls = ['forward', 'backward', 'fitMse', 'createStaging', 'createOptimizer', 'loadParams', 'dense', 'params', 'encodeForward', 'encodeBackward'] as const;

for (const backend of ['cpu', 'webgpu'] as const) {
  test.prop([fc.constantFrom(...calls), fc.array(garbage, { maxLength: 4 })], { numRuns: 300 })(`${backend}: garbage arguments give MoncErrors`, async (call, args) => {
    const r = await MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, { backend, ...(backend === 'webgpu' ? { device: await getTestDevice() } : {}) });
    r.loadParams(params);
    try {
      const f = (r as unknown as Record<string, (...a: unknown[]) => unknown>)[call];
      // The encoder of encodeForward/encodeBackward is WebGPU's own object, used as it is (not checked): a real one, then garbage.
      const encoder = backend === 'webgpu' && call.startsWith('encode') ? [(await getTestDevice()).createCommandEncoder()] : [];
      try {
        const v = f.apply(r, [...encoder, ...args]);
        if (v instanceof Promise) await v;
      } catch (e) {
        if (!(e instanceof MoncError)) throw new Error(`${call}(${args.map((a) => typeof a === 'bigint' ? `${a}n` : (JSON.stringify(a) ?? String(a))).join(', ')}): ${String(e)}`);
      }
    } finally {
      r.destroy();
    }
  });
}

/** Values an option may take, the right ones included. */
const optionValue = fc.oneof(garbage, fc.constantFrom('cpu', 'webgpu', true, false));

// create's options (QA s10 A3): anything at all, or an object whose backend, device and training are anything.
test.prop([fc.oneof(garbage, fc.record({ backend: optionValue, device: optionValue, training: optionValue }, { requiredKeys: [] }))], { numRuns: 60 })(
  'create: options of any kind make a runner that runs, or a MoncError',
  async (options) => {
    let r: MapRunner | undefined;
    try {
      r = await MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, options as never);
    } catch (e) {
      if (!(e instanceof MoncError)) throw new Error(`create(map, wgsl, ${JSON.stringify(options, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(options)}): ${String(e)}`);
      return;
    }
    try {
      r.loadParams(params);
      await r.forward(new Float32Array(8), 1);
    } finally {
      r.destroy();
    }
  },
);
