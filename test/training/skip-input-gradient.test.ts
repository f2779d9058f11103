/**
 * The backward pass without dx (what fitMse records): every backward program of these maps lets
 * the input-gradient kernels go (no other kernel reads dx), and without them the parameter
 * gradients are bit for bit those of the full pass, which match the float64 reference VJP within
 * 1e-5: a Monarch with a bias, a sum of a low-rank and a block-sparse map, tied maps with a
 * transpose between them, a diag() with a bias.
 */
import { describe, expect, it } from 'vitest';
import { compileKernelsOfModule } from '../../src/compile-kernels.js';
import { checkSource } from '../../src/dsl/index.js';
import { backwardSpec, GpuBackward } from '../../src/runtime/gpu-backward.js';
import { readDeviceBuffer } from '../../src/runtime/host-storage.js';
import { packParams, unpackParams } from '../../src/runtime/params.js';
import { kernelModules } from '../../src/runtime/kernel-modules.js';
import { PipelineCache } from '../../src/runtime/pipeline-cache.js';
import { randomParams, randomValues, rng } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { referenceBackward } from '../support/reference.js';
import { frobeniusError } from './support.js';

const SPEC = `module skip
map sq   : 12 -> 12 = monarch(nblocks: 3) + bias()
map wide : 18 -> 12 = lowrank(rank: 2) + sparse(block: 6, pattern: band(width: 1))
map a    : 12 -> 12 = monarch(nblocks: 3)
map tied : 12 -> 12 = a @ transpose(3, 4) @ a + bias()
map d    : 10 -> 10 = diag() + bias()
`;
const BATCH = 5;

describe('the backward pass without dx', () => {
  const { module } = checkSource(SPEC, 'skip.mon');
  const outputs = compileKernelsOfModule(module!);
  it.each(['sq', 'wide', 'tied', 'd'])('%s: the same parameter gradients, fewer kernels', async (name) => {
    const device = await getTestDevice();
    const map = outputs.manifest.maps.find((m) => m.name === name)!;
    const checked = module!.maps.find((m) => m.name === name)!;
    const random = rng(21);
    const params = randomParams(checked.structure, random);
    const x = Float32Array.from(randomValues(random, BATCH * map.in));
    const dy = Float32Array.from(randomValues(random, BATCH * map.out));
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const buffer = (values: Float32Array) => {
      const b = device.createBuffer({ size: Math.max(16, Math.ceil((values.length * 4) / 16) * 16), usage: storage });
      device.queue.writeBuffer(b, 0, values as Float32Array<ArrayBuffer>);
      return b;
    };
    const paramsBuffer = buffer(packParams(map.params, map.paramSize, params));
    const [xb, dyb, dxb] = [buffer(x), buffer(dy), buffer(new Float32Array(BATCH * map.in))];
    const backward = GpuBackward.create(device, backwardSpec(map, { wgsl: outputs.wgsl, backward: map.backward!.kernels, storage: 'f32' }), paramsBuffer, await kernelModules(PipelineCache.for(device), outputs.wgsl, map.backward!.kernels.map((k) => k.entryPoint)));
    try {
      expect(backward.canSkipInputGradient).toBe(true);
      const gradients = async (dx: GPUBuffer | undefined) => {
        const encoder = device.createCommandEncoder();
        encoder.clearBuffer(backward.gradients);
        backward.encode(encoder, xb, dyb, dx, BATCH);
        device.queue.submit([encoder.finish()]);
        return readDeviceBuffer(device, backward.gradients, map.paramSize, 'f32');
      };
      const full = await gradients(dxb);
      const skipped = await gradients(undefined);
      expect(skipped).toEqual(full);
      const want = referenceBackward(checked.structure, params, x, dy, BATCH);
      for (const [tensor, g] of unpackParams(map.params, skipped)) expect(frobeniusError(g, want.grads.get(tensor)!), tensor).toBeLessThan(1e-5);
      // The input gradient has kernels of its own, which the pass without dx leaves out.
      expect(map.backward!.kernels.some((k) => k.dst === 'dx')).toBe(true);
    } finally {
      backward.destroy();
      for (const b of [paramsBuffer, xb, dyb, dxb]) b.destroy();
    }
  });
});
