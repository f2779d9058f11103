/**
 * How fast ONNX Runtime (Node, CPU, one thread) runs exported 1024 -> 1024 maps at batch 2048,
 * against the dense map of the same size. Run: `npx vitest bench test/export/ort-cpu.bench.ts --run`.
 */
import * as ort from 'onnxruntime-node';
import { bench, describe } from 'vitest';
import { exportOnnx } from '../../src/export/onnx.js';
import { checkedModule, randomInput, randomParams } from './onnx-harness.js';

const BATCH = 2048;
const module = checkedModule(`
map dense1 : 1024 -> 1024 = dense()
map monarch32 : 1024 -> 1024 = monarch(nblocks: 32)
map raw : 1024 -> 1024 = transpose(32, 32) @ blockdiag(nblocks: 32) @ transpose(32, 32) @ blockdiag(nblocks: 32)
map bfly4 : 1024 -> 1024 = butterfly(radix: 4)
map bfly2 : 1024 -> 1024 = butterfly(radix: 2)
map pixelfly : 1024 -> 1024 = sparse(block: 32, pattern: flat_butterfly(factors: 3)) + lowrank(rank: 32) + bias()
`);
const x = new ort.Tensor('float32', randomInput(BATCH * 1024, 1, 'f32'), [BATCH, 1024]);

describe(`ONNX Runtime CPU, 1 thread, batch ${BATCH}`, async () => {
  for (const map of module.maps) {
    const model = exportOnnx({ map, dtype: 'f32', params: randomParams(module, map.name, 1) });
    const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    bench(map.name, async () => void (await session.run({ x })), { iterations: 7, warmupIterations: 1 });
  }
});
