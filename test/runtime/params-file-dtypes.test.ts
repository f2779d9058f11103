/**
 * A generated class's loadParams(bytes of a safetensors file) decodes only the map's tensors
 * (review finding R10): a state dict that also holds tensors of dtypes monc does not read (I64
 * counters, BOOL masks, U8) loads, and a parameter stored in such a dtype is a one-line
 * FormatError naming it. On the CPU backend against the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import '../../src/runtime/cpu.js';
import { FormatError } from '../../src/runtime/formats/format-error.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { TypedMap } from '../../src/runtime/typed-map.js';
import { bias, checkedMap, monarch, randomParams, rng, sum } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { relativeError } from '../support/programs.js';
import { f32Tensor, rawSafetensors, type RawTensor } from '../support/raw-safetensors.js';
import { referenceApply } from '../support/reference.js';
import { compileModuleForTest } from '../training/compile.js';

/** A generated class's shape (the bindings add only sizes and create()). */
class Typed extends TypedMap<Record<string, Float32Array>> {
  constructor(runner: MapRunner) {
    super(runner);
  }
}

const checked = checkedMap('a', sum(monarch(12, 12, 3), bias(12)));
const compiled = compileModuleForTest(checked);
const params = randomParams(checked.structure, rng(4));
const weights = [...params].map(([name, v]) => f32Tensor(name, compiled.manifest.maps[0].params.find((p) => p.name === name)!.shape, v));
const extras: RawTensor[] = [
  { name: 'bn.num_batches_tracked', dtype: 'I64', shape: [], bytes: new Uint8Array(8).fill(7) },
  { name: 'mask', dtype: 'BOOL', shape: [3], bytes: new Uint8Array([1, 0, 1]) },
  { name: 'a.ids', dtype: 'U8', shape: [2], bytes: new Uint8Array([5, 6]) },
];

async function typed(): Promise<Typed> {
  return new Typed(await MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, { backend: 'cpu' }));
}

describe('MapRunner.loadParams(safetensors bytes), as the generated class takes them (QA2 s10 B4)', () => {
  it.each(['cpu', 'webgpu'] as const)('a Uint8Array or its ArrayBuffer loads the map’s tensors (%s), as the tensors by name do', async (backend) => {
    const runner = await MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, { backend, ...(backend === 'webgpu' ? { device: await getTestDevice() } : {}) });
    try {
      const x = Float32Array.from({ length: 3 * 12 }, (_, i) => Math.cos(i));
      const file = rawSafetensors([extras[0], ...weights]);
      for (const bytes of [file, file.slice().buffer]) {
        runner.loadParams(bytes);
        expect(relativeError(await runner.forward(x, 3), referenceApply(checked.structure, params, x, 3))).toBeLessThan(1e-5);
      }
      // A file without one of the map's tensors: the tensor named, as for tensors by name.
      expect(() => runner.loadParams(rawSafetensors(weights.slice(1)))).toThrow(`missing parameter tensor '${weights[0].name}'`);
    } finally {
      runner.destroy();
    }
  });
});

describe('loadParams(safetensors bytes) with tensors of other dtypes in the file', () => {
  it('loads the map’s F32 tensors around I64, BOOL and U8 ones and computes the float64 reference', async () => {
    const m = await typed();
    try {
      m.loadParams(rawSafetensors([extras[0], ...weights.slice(0, 1), extras[1], ...weights.slice(1), extras[2]]));
      const x = Float32Array.from({ length: 3 * 12 }, (_, i) => Math.cos(i));
      expect(relativeError(await m.forward(x, 3), referenceApply(checked.structure, params, x, 3))).toBeLessThan(1e-5);
    } finally {
      m.destroy();
    }
  });

  it('a parameter stored as I32 is a FormatError naming it, its dtype and those read', async () => {
    const m = await typed();
    try {
      const [first, ...rest] = weights;
      const asInt: RawTensor = { ...first, dtype: 'I32' };
      const loading = () => m.loadParams(rawSafetensors([asInt, ...rest]));
      expect(loading).toThrow(FormatError);
      expect(loading).toThrow(`safetensors: tensor '${first.name}' is I32; monc reads F32, F16, BF16, F64`);
    } finally {
      m.destroy();
    }
  });
});
