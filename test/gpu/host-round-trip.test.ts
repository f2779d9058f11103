/**
 * The one-piece host round trip of forward (GpuExecutor.run, with monc/runtime/host-io's result
 * read in pieces: HOST_PIPELINE.readBytes, here 48 bytes = 12 values, so that pieces end inside
 * rows of 30): the float64 reference's result at batches whose result ends inside a piece, on a
 * piece boundary and below one piece, and at batch 0 (after which the runner still runs); x taken
 * as it is at the call whether the call finds the runner idle (x written into the upload buffer
 * during the call) or queued behind another (x copied), from a Float32Array or a plain Array;
 * results into `out` at the same places; and no buffer or bind group created once warm.
 */
import { expect, it } from 'vitest';
import '../../src/runtime/host-io-entry.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { HOST_PIPELINE } from '../../src/runtime/pipelined-forward.js';
import { checkedMap, monarch, randomParams, sum, bias } from '../ir/structures.js';
import { compileForTest } from '../support/compiled.js';
import { countCreations } from '../support/creations.js';
import { getTestDevice } from '../support/gpu.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';

const TOL = 1e-5;
const map = checkedMap('m', sum(monarch(20, 30, 5), bias(30)));

it('reads the result in pieces, takes x at the call idle or queued, and creates nothing once warm', async () => {
  const device = await getTestDevice();
  const compiled = compileForTest(map, 'f32');
  const runner = await MapRunner.create(compiled.map, compiled.wgsl, { device });
  const params = randomParams(map.structure, rng(3));
  runner.loadParams(params);
  const plan = HOST_PIPELINE as { readBytes: number };
  const saved = plan.readBytes;
  plan.readBytes = 48;
  const random = rng(11);
  const want = (x: ArrayLike<number>, batch: number) => referenceApply(map.structure, params, x, batch);
  try {
    // 30 values a row: 1 row = 2.5 pieces, 2 rows = 5 pieces exactly; 0 rows, then on again.
    for (const batch of [1, 2, 3, 0, 5, 2]) {
      const x = randomArray(batch * map.in, random);
      const y = await runner.forward(x, batch);
      expect(y.length, `batch ${batch}`).toBe(batch * map.out);
      if (batch > 0) expect(relativeError(y, want(x, batch)), `batch ${batch}`).toBeLessThan(TOL);
    }
    // One array refilled: the first call finds the runner idle, the second queues behind it, a
    // plain Array comes after both; each gets its own rows, into `out` too.
    const shared = randomArray(3 * map.in, random);
    const first = Float32Array.from(shared);
    const idle = runner.forward(shared, 3);
    shared.set(randomArray(3 * map.in, random));
    const second = Float32Array.from(shared);
    const out = new Float32Array(3 * map.out).fill(NaN);
    const queued = runner.forward(shared, { batch: 3, out });
    shared.fill(0);
    expect(relativeError(await idle, want(first, 3))).toBeLessThan(TOL);
    expect(await queued).toBe(out);
    expect(relativeError(out, want(second, 3))).toBeLessThan(TOL);
    const plain = Array.from(randomArray(2 * map.in, random));
    expect(relativeError(await runner.forward(plain as unknown as Float32Array, 2), want(plain, 2))).toBeLessThan(TOL);
    // Once each batch ran on the current buffers (they grew at batch 5).
    const calls = async () => {
      for (const batch of [5, 1, 3]) await runner.forward(randomArray(batch * map.in, random), { batch, out: new Float32Array(batch * map.out) });
    };
    await calls();
    const counts = await countCreations(device, calls);
    expect(counts).toEqual({ buffers: 0, bindGroups: 0 });
  } finally {
    plan.readBytes = saved;
    runner.destroy();
  }
});
