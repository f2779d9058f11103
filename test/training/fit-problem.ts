/**
 * The fitMse tests' problems: small modules (a Monarch with bias, a rectangular map, a sum with a
 * bias, tied maps; an f16 module) compiled as `monc build` compiles them, and a runner of one map
 * with random parameters over random X and T.
 */
import { compileKernelsOfModule } from '../../src/compile-kernels.js';
import { checkSource } from '../../src/dsl/index.js';
import { MapRunner, type Backend } from '../../src/runtime/map-runner.js';
import { randomParams, randomValues, rng } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';

export const SPEC = `module fit
map sq   : 12 -> 12 = monarch(nblocks: 3) + bias()
map rect : 12 -> 18 = monarch(nblocks: 3)
map wide : 18 -> 12 = lowrank(rank: 2) + sparse(block: 6, pattern: band(width: 1)) + bias()
map a    : 12 -> 12 = monarch(nblocks: 3)
map tied : 12 -> 12 = a @ transpose(3, 4) @ a + bias()
`;
export const HALF = `module half
dtype f16
map h : 12 -> 12 = monarch(nblocks: 3) + bias()
`;
export const ROWS = 24;

/** Each source compiled once per test file (the checked module and the build's outputs). */
const compiled = new Map<string, { module: NonNullable<ReturnType<typeof checkSource>['module']>; outputs: ReturnType<typeof compileKernelsOfModule> }>();

function compile(source: string) {
  let c = compiled.get(source);
  if (!c) {
    const { module } = checkSource(source, 'fit.mon');
    c = { module: module!, outputs: compileKernelsOfModule(module!) };
    compiled.set(source, c);
  }
  return c;
}

/** A runner of map `name` of `source` with random parameters (seed), and random X and T of `rows` rows. */
export async function problem(source: string, name: string, backend: Backend, seed: number, scale = { x: 1, t: 1 }, rows = ROWS) {
  const { module, outputs } = compile(source);
  const manifestMap = outputs.manifest.maps.find((m) => m.name === name)!;
  const checked = module.maps.find((m) => m.name === name)!;
  const random = rng(seed);
  const params = new Map([...randomParams(checked.structure, random)].map(([k, v]) => [k, Float32Array.from(v)]));
  const x = Float32Array.from(randomValues(random, rows * checked.in), (v) => v * scale.x);
  const target = Float32Array.from(randomValues(random, rows * checked.out), (v) => v * scale.t);
  /** A runner with the parameters loaded (webgpu: on `gpu`, by default the test device). */
  const open = async (gpu?: GPUDevice) => {
    const device = backend === 'webgpu' ? { device: gpu ?? (await getTestDevice()) } : {};
    const runner = await MapRunner.create(manifestMap, outputs.wgsl, { backend, dtype: module.dtype, ...device });
    runner.loadParams(params);
    return runner;
  };
  return { open, x, target, params };
}

/**
 * A binding limit (bytes) for deviceWithBindingLimit that every buffer the device binds whole for these problems fits,
 * as a real device's limit does (createBuffer refuses a storage buffer over it): the parameters, Adam's state, a
 * mini-batch's buffers, the fit's stats (32 KiB).
 */
export const UPLOAD_LIMIT = 40_000;

/** Rows of X (12 or 18 f32 values each: 40,320 or 60,480 bytes) beyond UPLOAD_LIMIT, so that fitMse uploads each step's rows. */
export const UPLOAD_ROWS = 840;

/**
 * The test device with a smaller maxStorageBufferBindingSize: X and T no longer fit one binding,
 * so fitMse uploads each step's rows from the host (its other path). Methods run on the device.
 */
export function deviceWithBindingLimit(device: GPUDevice, bytes: number): GPUDevice {
  const limits = new Proxy(device.limits, { get: (l, k) => (k === 'maxStorageBufferBindingSize' ? bytes : Reflect.get(l, k, l)) });
  return new Proxy(device, {
    get: (d, k) => {
      if (k === 'limits') return limits;
      const v = Reflect.get(d, k, d);
      return typeof v === 'function' ? v.bind(d) : v;
    },
  });
}
