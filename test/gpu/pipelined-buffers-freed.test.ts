/**
 * The chunked forward's stagings (pipelined-forward.ts: one per chunk filled at the call, up to
 * HOST_PIPELINE.callChunks, else the ring's depth) are the runner's: destroy() frees every one of
 * them, also while a call's chunks are still on the GPU (that call then rejects as the runner's
 * pending calls do). Counted on a device of the test's own (counting-device.ts).
 */
import { expect, it } from 'vitest';
import { MapRunner } from '../../src/runtime/node.js';
import { checkedMap, monarch, randomParams, rng } from '../ir/structures.js';
import { relativeError } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
import { compileModuleForTest } from '../training/compile.js';
import { countingDevice } from '../support/counting-device.js';

it('destroy() frees the stagings of chunks filled at the call and of the ring, idle or with chunks in flight', async () => {
  const { device, live } = await countingDevice();
  try {
    const checked = checkedMap('a', monarch(24, 16, 4));
    const { manifest, wgsl } = compileModuleForTest(checked);
    const tensors = randomParams(checked.structure, rng(6));
    const params = Object.fromEntries([...tensors].map(([k, v]) => [k, Float32Array.from(v)]));
    const input = (rows: number, seed: number) => Float32Array.from({ length: rows * checked.in }, (_, i) => Math.sin(i * seed + 1));
    // 'monc no pattern' is the device's one placeholder binding, shared by every runner on it.
    const stagings = () => [...live.values()].filter((label) => label.startsWith('monc staging'));
    const runnerBuffers = () => [...live.values()].filter((label) => label.startsWith('monc ') && label !== 'monc no pattern');

    const runner = await MapRunner.create(manifest.maps[0], wgsl, { device });
    runner.loadParams(params);
    // 7 rows in chunks of 2: four stagings filled at the call; 40 rows: 20 chunks, copied, through the same ring.
    for (const rows of [7, 40]) {
      const x = input(rows, rows);
      expect(relativeError(await runner.forward(x, { chunkRows: 2 }), referenceApply(checked.structure, tensors, x, rows)), `${rows} rows`).toBeLessThan(1e-5);
    }
    // Four buffers a staging: upload, x, y, readback.
    expect(stagings().length).toBe(4 * 4);
    runner.destroy();
    expect(runnerBuffers()).toEqual([]);

    const busy = await MapRunner.create(manifest.maps[0], wgsl, { device });
    busy.loadParams(params);
    const pending = busy.forward(input(7, 3), { chunkRows: 2 });
    expect(stagings().length).toBe(4 * 4);
    busy.destroy();
    await expect(pending).rejects.toThrow("map 'a': the runner was destroyed");
    expect(runnerBuffers()).toEqual([]);
  } finally {
    device.destroy();
  }
});
