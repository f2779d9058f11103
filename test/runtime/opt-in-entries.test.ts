/**
 * Training is opt-in (`monc/runtime/training`), like the CPU executor (`monc/runtime/cpu`): this
 * file imports the browser-safe runtime and the CPU entry only, so a runner's backward pass and
 * optimizers (and saveParams, whose writer comes with them) reject with a one-line user error
 * naming the import, until the file imports the training entry; then the same runner trains
 * (against the float64 reference VJP).
 */
import { describe, expect, it } from 'vitest';
import '../../src/runtime/cpu.js';
import { MapRunner } from '../../src/runtime/index.js';
import { checkedMap, monarch, randomParams, rng } from '../ir/structures.js';
import { randomArray, relativeError } from '../support/programs.js';
import { referenceBackward } from '../support/reference.js';
import { compileModuleForTest } from '../training/compile.js';
import { expectMoncErrorNow, userErrorOf } from '../support/user-error.js';
// Dawn alone: test/support/gpu.ts loads monc/runtime/node, which imports the training entry too.
import '../../src/runtime/node-device.js';
import { requestMoncDevice } from '../../src/runtime/device.js';

const checked = checkedMap('m', monarch(12, 6, 3));
const compiled = compileModuleForTest(checked);
const map = compiled.manifest.maps[0];
const params = randomParams(checked.structure, rng(5));
const batch = 2;
const x = randomArray(batch * checked.in, rng(6));
const dy = randomArray(batch * checked.out, rng(7));
const MISSING = "needs monc/runtime/training: add import 'monc/runtime/training'; to the page once";

async function cpuRunner(training = false): Promise<MapRunner> {
  const runner = await MapRunner.create(map, compiled.wgsl, { backend: 'cpu', training });
  runner.loadParams(params);
  return runner;
}


describe('a runner without monc/runtime/training', () => {
  it('runs forward passes, and backward(), createOptimizer(), saveParams() and { training: true } name the import to add', async () => {
    const runner = await cpuRunner();
    expect((await runner.forward(x, batch)).length).toBe(batch * checked.out);
    expect((await userErrorOf(() => runner.backward(x, dy, batch))).message).toContain(MISSING);
    expect((await userErrorOf(() => runner.createOptimizer({ kind: 'sgd', lr: 0.1 }))).message).toContain(MISSING);
    expect((await userErrorOf(() => runner.saveParams())).message).toContain(MISSING);
    expect((await userErrorOf(() => cpuRunner(true))).message).toContain(MISSING);
  });

  it("encodeBackward on webgpu names the import too (creating the training half first needs it as well)", async () => {
    const { device } = await requestMoncDevice();
    const runner = await MapRunner.create(map, compiled.wgsl, { backend: 'webgpu', device });
    runner.loadParams(params);
    const buffer = () => device.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    expectMoncErrorNow(() => runner.encodeBackward(device.createCommandEncoder(), buffer(), buffer(), buffer(), batch), 'user', `map 'm': encodeBackward ${MISSING}`);
    runner.destroy();
    device.destroy();
  });

  it('params() on webgpu: the loaded parameters with no device read (only training changes them there); a lost device still fails it', async () => {
    const { device } = await requestMoncDevice();
    const runner = await MapRunner.create(map, compiled.wgsl, { backend: 'webgpu', device });
    runner.loadParams(params);
    const read = device.createBuffer;
    let buffers = 0;
    device.createBuffer = function (this: GPUDevice, d: GPUBufferDescriptor) {
      buffers++;
      return read.call(this, d);
    };
    const got = await runner.params();
    device.createBuffer = read;
    expect(buffers, 'no read-back buffer').toBe(0);
    for (const [name, values] of params) expect(Array.from(got.get(name)!)).toEqual(Array.from(Float32Array.from(values)));
    device.destroy();
    await device.lost;
    await expect(runner.params()).rejects.toMatchObject({ kind: 'device', message: expect.stringContaining('WebGPU device lost') });
    runner.destroy();
  });

  it('trains once the entry is imported (gradients against the float64 reference)', async () => {
    await import('../../src/runtime/training.js');
    const runner = await cpuRunner(true);
    const { dx, grads } = await runner.backward(x, dy, batch);
    const want = referenceBackward(checked.structure, params, x, dy, batch);
    expect(relativeError(dx, want.dx)).toBeLessThan(1e-5);
    for (const [name, g] of want.grads) expect(relativeError(grads.get(name)!, g)).toBeLessThan(1e-5);
  });
});
