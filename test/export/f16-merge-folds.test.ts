/**
 * An f16 model's merged butterfly factors are constant-folded by ONNX Runtime's CPU provider, as
 * an f32 model's are: the merge is computed in float32 (the provider has no float16 MatMul to fold
 * with) and cast to float16 once. Before, the basis-through-factors MatMuls of every merged factor
 * stayed in the optimized graph and ran on every call (a radix-2 butterfly of 1024: 12 MatMuls
 * where the Monarch of the same shape has 2; ~10× slower). The results still match float64 within
 * f16's 3e-3.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../../src/export/onnx.js';
import { planMerges } from '../../src/export/merge-factors.js';
import { compileMap } from '../../src/ir/pipeline.js';
import { scratchDir } from '../support/typescript.js';
import { checkedModule, randomInput, randomParams, referenceY, relativeError, runOnnx } from './onnx-harness.js';

const { onnx } = onnxProto;
const dir = scratchDir('f16-merge');

/** The op types of the graph ONNX Runtime runs after its optimizations (constant folding among them). */
async function optimizedOps(model: Uint8Array, name: string): Promise<string[]> {
  const path = join(dir, `${name}.onnx`);
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', optimizedModelFilePath: path });
  await session.release();
  return onnx.ModelProto.decode(readFileSync(path)).graph!.node!.map((n) => n.opType!);
}

describe('merged butterfly factors of an f16 model', () => {
  const module = checkedModule('dtype f16\nmap bf : 1024 -> 1024 = butterfly(radix: 2)\nmap bfd : 256 -> 256 = butterfly(radix: 2, stride: decreasing) + bias()\n');

  it.each(['bf', 'bfd'])('%s: folded (one MatMul per merged factor runs), and within 3e-3 of float64', async (name) => {
    const map = module.maps.find((m) => m.name === name)!;
    const params = randomParams(module, name, 2);
    const model = exportOnnx({ map, dtype: 'f16', params });
    const merged = planMerges(compileMap(map, 'f16')).size;
    expect(merged).toBeGreaterThan(0);
    const matmuls = (await optimizedOps(model, name)).filter((op) => op === 'MatMul' || op === 'FusedMatMul');
    expect(matmuls.length).toBeLessThanOrEqual(merged);
    const x = randomInput(3 * map.in, 5, 'f16');
    const { y } = await runOnnx(model, x, 3, map.in, 'f16');
    expect(relativeError(y, referenceY(module, name, params, x, 3))).toBeLessThan(3e-3);
  });
});
