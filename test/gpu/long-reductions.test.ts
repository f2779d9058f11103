/**
 * Long reductions on WebGPU: an output that sums 2^20 products (a dense layer's forward over
 * `in`, the input gradient of a map with that many outputs) stays within 2e-6 of the float64
 * reference, because the direct kernels sum in blocks (reduction.ts): one f32 running sum over
 * 2^20 terms was 3e-5 off. The kernels are tiny (2 outputs, batch 1 or 2), only their loops long.
 */
import { describe, expect, it } from 'vitest';
import { BLOCKED_SUM_FROM, SUM_BLOCK, unrolledLoop } from '../../src/codegen/wgsl/reduction.js';
import { MapRunner } from '../../src/runtime/node.js';
import { compileForTest } from '../support/compiled.js';
import { getTestDevice } from '../support/gpu.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import { checkedMap, dense, lowrank, randomParams } from '../ir/structures.js';
import { referenceApply, referenceDense } from '../support/reference.js';

const K = 2 ** 20;
const TOL = 2e-6;

describe('blocked sums in the loop text', () => {
  const body = () => ['acc0 = acc0 + 1.0;'];
  it(`a loop of up to ${BLOCKED_SUM_FROM} terms keeps one running sum; a longer one sums blocks of ${SUM_BLOCK} into it`, () => {
    expect(unrolledLoop('i', BLOCKED_SUM_FROM, 8, body, ['acc0']).join('\n')).toBe(unrolledLoop('i', BLOCKED_SUM_FROM, 8, body).join('\n'));
    const blocked = unrolledLoop('i', 5 * SUM_BLOCK + 24, 8, body, ['acc0']).join('\n');
    expect(blocked).toContain(`for (var i_block = 0u; i_block < ${5 * SUM_BLOCK + 24}u; i_block += ${SUM_BLOCK}u) {`);
    expect(blocked).toContain('let acc0_before = acc0;');
    expect(blocked).toContain(`for (var i_0 = i_block; i_0 < min(i_block + ${SUM_BLOCK}u, ${5 * SUM_BLOCK + 24}u); i_0 += 8u) {`);
    expect(blocked).toContain('acc0 = acc0_before + acc0;');
    // Without accumulators to block, the loop is the plain one.
    expect(unrolledLoop('i', 8192, 8, body).join('\n')).not.toContain('i_block');
  });

  it('a block is a multiple of the unroll', () => {
    expect(unrolledLoop('i', 3 * 5000, 3, body, ['acc0']).join('\n')).toContain(`i_block += ${Math.ceil(SUM_BLOCK / 3) * 3}u`);
  });
});

describe(`reductions over 2^20 terms on the device, within ${TOL} of float64`, () => {
  it('forward of dense() 2^20 -> 2', async () => {
    const checked = checkedMap('wide', dense(K, 2));
    const compiled = compileForTest(checked);
    const runner = await MapRunner.create(compiled.map, compiled.wgsl, { device: await getTestDevice() });
    try {
      const params = randomParams(checked.structure, rng(3));
      runner.loadParams(params);
      const x = randomArray(K, rng(4));
      expect(relativeError(await runner.forward(x, 1), referenceApply(checked.structure, params, x, 1))).toBeLessThan(TOL);
    } finally {
      runner.destroy();
    }
  });

  it('input gradient of lowrank(rank: 1) 16 -> 2^20 (a sum over the 2^20 outputs)', async () => {
    const checked = checkedMap('tall', lowrank(16, K, 1));
    const compiled = compileForTest(checked);
    const runner = await MapRunner.create(compiled.map, compiled.wgsl, { device: await getTestDevice(), training: true });
    try {
      const params = randomParams(checked.structure, rng(5));
      runner.loadParams(params);
      const batch = 2;
      const x = randomArray(batch * 16, rng(6));
      const dy = randomArray(batch * K, rng(7));
      const { dx } = await runner.backward(x, dy, batch);
      // dX = dY M, M (2^20 × 16) from the float64 reference.
      const m = referenceDense(checked.structure, params);
      const want = new Float64Array(batch * 16);
      for (let r = 0; r < batch; r++) for (let i = 0; i < K; i++) for (let j = 0; j < 16; j++) want[r * 16 + j] += dy[r * K + i] * m[i * 16 + j];
      expect(relativeError(dx, want)).toBeLessThan(TOL);
    } finally {
      runner.destroy();
    }
  });
});
