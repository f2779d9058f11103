/**
 * Training-test helpers: a structure compiled the way `monc build` compiles it (forward and
 * backward kernels in one module), a runner on the test device or the CPU, random parameters,
 * and the float64 reference gradients for the same f32-rounded parameters.
 */
import type { CheckedMap, Dtype } from '../../src/dsl/structure.js';
import { compileModuleForTest } from './compile.js';
import { MapRunner, type Backend } from '../../src/runtime/map-runner.js';
import type { ReferenceGradients } from '../../src/runtime/reference-backward.js';
import { getTestDevice } from '../support/gpu.js';
import { randomParams, randomValues, rng } from '../ir/structures.js';
import { referenceBackward } from '../support/reference.js';

export interface GradientCase {
  readonly runner: MapRunner;
  readonly params: Map<string, Float32Array>;
  readonly x: Float32Array;
  readonly dy: Float32Array;
  readonly want: ReferenceGradients;
}

export async function runnerFor(map: CheckedMap, backend: Backend, dtype: Dtype = 'f32', rowsPerSplit?: number, training?: boolean): Promise<MapRunner> {
  const { manifest, wgsl } = compileModuleForTest(map, dtype, rowsPerSplit);
  return MapRunner.create(manifest.maps[0], wgsl, { backend, dtype, training, ...(backend === 'webgpu' ? { device: await getTestDevice() } : {}) });
}

/** A runner with random parameters loaded, random X and DY, and the reference gradients. */
export async function gradientCase(
  map: CheckedMap,
  backend: Backend,
  seed: number,
  batch: number,
  options: { dtype?: Dtype; rowsPerSplit?: number; training?: boolean } = {},
): Promise<GradientCase> {
  const random = rng(seed);
  const params = new Map([...randomParams(map.structure, random)].map(([k, v]) => [k, Float32Array.from(v)]));
  const x = Float32Array.from(randomValues(random, batch * map.in));
  const dy = Float32Array.from(randomValues(random, batch * map.out));
  const runner = await runnerFor(map, backend, options.dtype, options.rowsPerSplit, options.training);
  runner.loadParams(params);
  return { runner, params, x, dy, want: referenceBackward(map.structure, params, x, dy, batch) };
}

/** ‖got − want‖_F / ‖want‖_F (0 when both are 0). */
export function frobeniusError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    diff += (got[i] - want[i]) ** 2;
    norm += want[i] ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}
