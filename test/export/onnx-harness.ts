/**
 * Running exported models in ONNX Runtime for Node (CPU) against the float64 reference: the
 * module source, random parameters, an input batch, and the relative Frobenius error.
 */
import * as ort from 'onnxruntime-node';
import { checkSource } from '../../src/dsl/index.js';
import { paramsOf } from '../../src/dsl/params.js';
import type { CheckedModule } from '../../src/dsl/structure.js';
import { f16ArrayToF32, f32ArrayToF16 } from '../../src/runtime/formats/f16.js';
import { initParams } from '../../src/runtime/init.js';
import { uniform01 } from '../../src/util/random.js';
import { referenceApply } from '../support/reference.js';

export function checkedModule(source: string): CheckedModule {
  const { module, diagnostics } = checkSource(source, 'test.mon');
  if (!module) throw new Error(`spec does not check:\n${diagnostics.map((d) => d.message).join('\n')}`);
  return module;
}

/** Values as the module's dtype stores them: f16 rounds (so the reference sees the same numbers). */
export function asStored(values: ArrayLike<number>, dtype: 'f32' | 'f16'): Float32Array {
  return dtype === 'f16' ? f16ArrayToF32(f32ArrayToF16(values)) : Float32Array.from(values);
}

/** Parameters of `mapName` (uniform ±1/√fan_in, the bias too so it is not zero), rounded to the module's dtype. */
export function randomParams(module: CheckedModule, mapName: string, seed: number): Map<string, Float32Array> {
  const map = module.maps.find((m) => m.name === mapName)!;
  const params = initParams(paramsOf(map.structure), seed);
  return new Map([...params].map(([k, v]) => [k, asStored(v, module.dtype)]));
}

export function randomInput(length: number, seed: number, dtype: 'f32' | 'f16'): Float32Array {
  const next = uniform01(seed);
  return asStored(Float32Array.from({ length }, () => 2 * next() - 1), dtype);
}

export async function runOnnx(model: Uint8Array, x: Float32Array, batch: number, n: number, dtype: 'f32' | 'f16'): Promise<{ y: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  try {
    const input = dtype === 'f16' ? new ort.Tensor('float16', f32ArrayToF16(x), [batch, n]) : new ort.Tensor('float32', x, [batch, n]);
    const out = (await session.run({ x: input })).y;
    const y = dtype === 'f16' ? f16ArrayToF32(out.data as Uint16Array) : Float32Array.from(out.data as Float32Array);
    return { y, dims: out.dims };
  } finally {
    await session.release();
  }
}

/** ‖got − want‖_F / ‖want‖_F. */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i] - want[i]) ** 2;
    den += want[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** Y = X Mᵀ (+ bias) in float64. */
export function referenceY(module: CheckedModule, mapName: string, params: Map<string, Float32Array>, x: Float32Array, batch: number): Float64Array {
  return referenceApply(module.maps.find((m) => m.name === mapName)!.structure, params, x, batch);
}
