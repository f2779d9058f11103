/**
 * The reusable host path (src/runtime/host-io.ts): `forward(x, { out })` writes the float64
 * reference's result into the caller's array (tolerance 1e-5 relative, f32 on the test adapter)
 * and returns it; a `ForwardStaging` lends mapped input and result views that give the same
 * results across batches, expire (detach) when their lease ends, create no buffer after the first
 * run, and refuse calls out of order. Both on WebGPU and on the CPU backend; an f16-storage
 * staging converts its views both ways. The pipelined round trip (`chunkRows`, a ring of chunk
 * stagings) gives what the one-piece one gives, for any chunking, and creates nothing once warm.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { CheckedMap } from '../../src/dsl/structure.js';
import { GpuStaging } from '../../src/runtime/host-io.js';
import { PipelinedForward } from '../../src/runtime/pipelined-forward.js';
import { f16BitsToF32, f32ToF16Bits } from '../../src/runtime/formats/f16.js';
import { MapRunner } from '../../src/runtime/node.js';
import { compileForTest } from '../support/compiled.js';
import { copyDevice } from '../support/copy-device.js';
import { countCreations } from '../support/creations.js';
import { getTestDevice } from '../support/gpu.js';
import { randomArray, relativeError, rng } from '../support/programs.js';
import { bias, blockdiag, checkedMap, monarch, randomParams, sum } from '../ir/structures.js';
import { referenceApply } from '../support/reference.js';

const TOL = 1e-5;

async function runnerFor(checked: CheckedMap, backend: 'webgpu' | 'cpu', dtype: 'f32' | 'f16' = 'f32') {
  const compiled = compileForTest(checked, dtype);
  const device = backend === 'webgpu' ? await getTestDevice() : undefined;
  const runner = await MapRunner.create(compiled.map, compiled.wgsl, { backend, dtype, ...(device ? { device } : {}) });
  const params = randomParams(checked.structure, rng(3));
  runner.loadParams(params);
  return { runner, want: (x: Float32Array, batch: number) => referenceApply(checked.structure, params, x, batch) };
}

/** Counts the device queue's submissions until restore(): `taken()` gives those since the last taken(). */
function submitCounter(device: GPUDevice): { taken(): number; restore(): void } {
  const submit = device.queue.submit.bind(device.queue);
  let count = 0;
  device.queue.submit = (buffers: Iterable<GPUCommandBuffer>) => {
    count++;
    submit(buffers);
  };
  return {
    taken: () => {
      const n = count;
      count = 0;
      return n;
    },
    restore: () => {
      device.queue.submit = submit;
    },
  };
}

// Rectangular 20 -> 30 (5 blocks) with a bias: two kernels and a temporary.
const MAP = checkedMap('m', sum(monarch(20, 30, 5), bias(30)));

describe.each(['webgpu', 'cpu'] as const)('host path (%s)', (backend) => {
  it('forward(x, { out }) fills and returns the caller array, batch after batch', async () => {
    const { runner, want } = await runnerFor(MAP, backend);
    const random = rng(8);
    const out = new Float32Array(9 * MAP.out).fill(Number.NaN);
    try {
      for (const batch of [9, 1, 4, 9]) {
        const x = randomArray(batch * MAP.in, random);
        const view = out.subarray(0, batch * MAP.out);
        view.fill(Number.NaN);
        const y = await runner.forward(x, { out: view });
        expect(y).toBe(view);
        expect(relativeError(y, want(x, batch)), `batch ${batch}`).toBeLessThan(TOL);
        // The batch option agrees with x's length; a number still works as before.
        expect(relativeError(await runner.forward(x, { batch, out: view }), want(x, batch))).toBeLessThan(TOL);
        expect(relativeError(await runner.forward(x, batch), want(x, batch))).toBeLessThan(TOL);
      }
      await expect(runner.forward(randomArray(2 * MAP.in, random), { out: new Float32Array(MAP.out) })).rejects.toThrow(
        "map 'm': out has 30 values; expected batch 2 x 30 = 60",
      );
      await expect(runner.forward(randomArray(2 * MAP.in, random), { batch: 3 })).rejects.toThrow('expected batch 3 x 20 = 60');
    } finally {
      runner.destroy();
    }
  });

  it('a staging lends input and result views that expire when their lease ends', async () => {
    const { runner, want } = await runnerFor(MAP, backend);
    const random = rng(21);
    const staging = runner.createStaging(7);
    try {
      let lastResult: Float32Array | undefined;
      for (const batch of [7, 2, 1, 7]) {
        const input = await staging.input(batch);
        expect(input.length).toBe(batch * MAP.in);
        if (backend === 'webgpu' && lastResult) expect(lastResult.length, 'the previous result expired').toBe(0);
        const x = randomArray(batch * MAP.in, random);
        input.set(x);
        const y = await staging.run();
        if (backend === 'webgpu') expect(input.length, 'the input view expired').toBe(0);
        expect(y.length).toBe(batch * MAP.out);
        expect(relativeError(y, want(x, batch)), `batch ${batch}`).toBeLessThan(TOL);
        lastResult = y;
      }
      // The default batch is the capacity.
      expect((await staging.input()).length).toBe(7 * MAP.in);
    } finally {
      staging.destroy();
      runner.destroy();
    }
  });

  it('a staging refuses calls out of order and batches beyond its capacity', async () => {
    const { runner } = await runnerFor(MAP, backend);
    const staging = runner.createStaging(3);
    try {
      await expect(staging.run()).rejects.toThrow("map 'm': run() out of order: call input() and fill its view first");
      await expect(staging.input(4)).rejects.toThrow("map 'm': input(4): the staging holds 0 to 3 rows");
      await expect(staging.input(1.5)).rejects.toThrow('input(1.5)');
      // A string that would pass for a number is said to be one.
      await expect(staging.input('2' as unknown as number)).rejects.toThrow("input('2' (a string)): the staging holds 0 to 3 rows");
      (await staging.input(2)).fill(1);
      await expect(staging.input(2)).rejects.toThrow('input() out of order: the input view is out: fill it and call run()');
      // Both asked before the run can finish.
      const [running, again, next] = [staging.run(), staging.run(), staging.input()];
      await expect(again).rejects.toThrow('run() out of order: a run is in flight: await it first');
      await expect(next).rejects.toThrow('input() out of order: a run is in flight');
      await running;
      await expect(staging.run()).rejects.toThrow('run() out of order: call input() for the next batch first');
      expect(() => runner.createStaging(0)).toThrow("map 'm': a staging's capacity must be a positive whole number of rows, got 0");
      // Destroying the runner destroys its stagings.
      runner.destroy();
      await expect(staging.input(1)).rejects.toThrow(/^map 'm': the runner was destroyed$/);
    } finally {
      staging.destroy();
      runner.destroy();
    }
  });
});

describe.each(['webgpu', 'cpu'] as const)('f16 module staging (%s)', (backend) => {
  it('rejects an input outside the f16 range and leaves the view lent to correct it', async () => {
    const { runner, want } = await runnerFor(MAP, backend, 'f16');
    const staging = runner.createStaging(2);
    try {
      const input = await staging.input(2);
      const x = randomArray(2 * MAP.in, rng(4));
      input.set(x);
      input[7] = 1e6;
      await expect(staging.run()).rejects.toThrow(/input of map 'm'.*65504/);
      expect(input.length).toBe(2 * MAP.in);
      input[7] = x[7];
      // SPEC §6 f16 tolerance (f32 kernels where the adapter lacks shader-f16).
      expect(relativeError(await staging.run(), want(x, 2))).toBeLessThan(3e-3);
    } finally {
      runner.destroy();
    }
  });
});

describe('host path (webgpu) reuse', () => {
  it('neither forward(x, { out }) nor a staging creates buffers or bind groups once warm', async () => {
    const device = await getTestDevice();
    const { runner, want } = await runnerFor(MAP, 'webgpu');
    const random = rng(5);
    const staging = runner.createStaging(6);
    const out = new Float32Array(6 * MAP.out);
    const step = async (batch: number) => {
      const x = randomArray(batch * MAP.in, random);
      expect(relativeError(await runner.forward(x, { out: out.subarray(0, batch * MAP.out) }), want(x, batch))).toBeLessThan(TOL);
      (await staging.input(batch)).set(x);
      expect(relativeError(await staging.run(), want(x, batch))).toBeLessThan(TOL);
    };
    try {
      for (const batch of [6, 3]) await step(batch);
      const counts = await countCreations(device, async () => {
        for (const batch of [3, 6, 3]) await step(batch);
      });
      expect(counts).toEqual({ buffers: 0, bindGroups: 0 });
    } finally {
      runner.destroy();
    }
  });

  test.prop([fc.constantFrom(3, 5, 6), fc.constantFrom(1, 2, 3), fc.constantFrom(1, 4, 5)], { numRuns: 3 })(
    'staging and out agree with the reference on random Monarch shapes',
    async (blockSize, nblocks, batch) => {
      // n = nblocks · blockSize, m from another block size: rectangular, non-powers of two.
      const checked = checkedMap('r', monarch(nblocks * blockSize, nblocks * (blockSize + 2), nblocks));
      const { runner, want } = await runnerFor(checked, 'webgpu');
      try {
        const x = randomArray(batch * checked.in, rng(blockSize * 31 + batch));
        const staging = runner.createStaging(batch);
        (await staging.input()).set(x);
        expect(relativeError(await staging.run(), want(x, batch))).toBeLessThan(TOL);
        expect(relativeError(await runner.forward(x, { out: new Float32Array(batch * checked.out) }), want(x, batch))).toBeLessThan(TOL);
      } finally {
        runner.destroy();
      }
    },
  );

  it('an f16-storage staging converts its views to and from halves', async () => {
    const staging = new GpuStaging(COPY_HOST, 4, await copyDevice('f16'));
    try {
      for (const batch of [3, 1]) {
        const x = randomArray(batch * 6, rng(batch)).map((v) => v * 1000);
        (await staging.input(batch)).set(x);
        const y = await staging.run();
        expect(Array.from(y)).toEqual(Array.from(x, (v) => f16BitsToF32(f32ToF16Bits(v))));
      }
    } finally {
      staging.destroy();
    }
  });
});

const COPY_HOST = { map: { name: 'copy', in: 6, out: 6 }, checkInput: () => undefined };

describe('pipelined round trip in f16 storage', () => {
  it('converts each chunk to and from halves at its place in the batch', async () => {
    const pipelined = new PipelinedForward(COPY_HOST, await copyDevice('f16'), () => undefined);
    try {
      // Filled at the call (this call's parameters alone) and from take()'s copy (another run of them waits).
      for (const waiting of [0, 1]) {
        for (const [batch, chunkRows] of [[7, 3], [4, 4], [5, 1]]) {
          const x = randomArray(batch * 6, rng(batch * 5 + chunkRows)).map((v) => v * 1000);
          const y = await pipelined.run(pipelined.take(x, batch, new Float32Array(batch * 6), chunkRows, { waiting }));
          expect(Array.from(y), `batch ${batch}, chunks of ${chunkRows}, waiting ${waiting}`).toEqual(Array.from(x, (v) => f16BitsToF32(f32ToF16Bits(v))));
        }
      }
    } finally {
      pipelined.destroy();
    }
  });
});

describe('pipelined forward (webgpu)', () => {
  test.prop([fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 15 })], { numRuns: 12 })(
    'any chunking gives the one-piece result and the reference',
    async (batch, chunkRows) => {
      const { runner, want } = await runnerFor(MAP, 'webgpu');
      try {
        const x = randomArray(batch * MAP.in, rng(batch * 17 + chunkRows));
        const whole = await runner.forward(x, { chunkRows: Infinity });
        const out = new Float32Array(batch * MAP.out).fill(Number.NaN);
        const y = await runner.forward(x, { out, chunkRows });
        expect(y).toBe(out);
        // Rows are computed independently: chunking must not change a single bit.
        expect(Array.from(y)).toEqual(Array.from(whole));
        expect(relativeError(y, want(x, batch))).toBeLessThan(TOL);
        // A new result array when no out is given.
        expect(Array.from(await runner.forward(x, { chunkRows }))).toEqual(Array.from(whole));
      } finally {
        runner.destroy();
      }
    },
  );

  it('chunks of one row, of the whole batch, and a last partial chunk; calls queue behind each other', async () => {
    const { runner, want } = await runnerFor(MAP, 'webgpu');
    const random = rng(41);
    try {
      const x = randomArray(10 * MAP.in, random);
      const cases = [1, 3, 4, 10, 11].map((chunkRows) => runner.forward(x, { chunkRows }));
      // Issued together: they share the ring and must run one after another.
      for (const y of await Promise.all(cases)) expect(relativeError(y, want(x, 10))).toBeLessThan(TOL);
      expect(relativeError(await runner.forward(x.subarray(0, MAP.in), { chunkRows: 1 }), want(x.subarray(0, MAP.in), 1))).toBeLessThan(TOL);
      await expect(runner.forward(x, { chunkRows: 0 })).rejects.toThrow("map 'm': chunkRows must be a positive whole number of rows or Infinity, got 0");
      await expect(runner.forward(x, { chunkRows: 2.5 })).rejects.toThrow('got 2.5');
    } finally {
      runner.destroy();
    }
  });

  it('takes x at the call: refilling it, or calling again, before earlier calls settle reaches none of them', async () => {
    const { runner, want } = await runnerFor(MAP, 'webgpu');
    const random = rng(53);
    try {
      const x = new Float32Array(12 * MAP.in);
      // Warm: the ring keeps this call's copy of x for the next.
      expect(relativeError(await runner.forward(x.subarray(0, 9 * MAP.in), { chunkRows: 2 }), want(x.subarray(0, 9 * MAP.in), 9))).toBeLessThan(TOL);
      // Batches of 9, 9, 5 and 12 (larger than the kept copy), x refilled after each call.
      const calls = [9, 9, 5, 12].map((batch) => {
        const rows = randomArray(batch * MAP.in, random);
        x.set(rows);
        const y = runner.forward(x.subarray(0, rows.length), { chunkRows: 2 });
        x.fill(Number.NaN);
        return { rows, batch, y };
      });
      for (const { rows, batch, y } of calls) expect(relativeError(await y, want(rows, batch)), `batch ${batch}`).toBeLessThan(TOL);
      // One after another, each takes the copy the last one gave back.
      for (const batch of [12, 3, 12]) {
        const rows = randomArray(batch * MAP.in, random);
        x.set(rows);
        const y = runner.forward(x.subarray(0, rows.length), { chunkRows: 5 });
        x.fill(Number.NaN);
        expect(relativeError(await y, want(rows, batch)), `batch ${batch} alone`).toBeLessThan(TOL);
      }
    } finally {
      runner.destroy();
    }
  });

  it('by default a batch of 8 MiB or more runs in chunks (of 4 MiB here) submitted at the call; a smaller one in one piece', async () => {
    // 4096 -> 4096 as 4096 blocks of one value: 512 rows of f32 are 8 MiB each way, and cheap on SwiftShader.
    const { runner, want } = await runnerFor(checkedMap('w', blockdiag(4096, 4096, 4096)), 'webgpu');
    const submits = submitCounter(await getTestDevice());
    try {
      for (const [batch, atCallWanted] of [[512, 2], [511, 0]]) {
        const x = randomArray(batch * 4096, rng(batch));
        submits.taken();
        const y = runner.forward(x, { out: new Float32Array(batch * 4096) });
        const atCall = submits.taken();
        expect(relativeError(await y, want(x, batch)), `batch ${batch}`).toBeLessThan(TOL);
        expect(atCall, `batch ${batch}: submissions during the call`).toBe(atCallWanted);
      }
    } finally {
      submits.restore();
      runner.destroy();
    }
  });

  it("reuses take()'s copy of x once its run settled; an idle take fills and submits its chunks at the call, copying nothing", async () => {
    const pipelined = new PipelinedForward(COPY_HOST, await copyDevice('f16'), () => undefined);
    // Another run of these parameters waits: x is copied for later.
    const waiting = { waiting: 1 };
    try {
      const first = pipelined.take(randomArray(4 * 6, rng(1)), 4, undefined, 3, waiting);
      expect(first.chunks).toBeUndefined();
      // Taken again before its run: another array.
      const second = pipelined.take(new Float32Array(6), 1, undefined, 3, waiting);
      expect(second.x!.buffer).not.toBe(first.x!.buffer);
      await pipelined.run(first);
      await pipelined.run(second);
      const again = pipelined.take(new Float32Array(2 * 6).fill(5), 2, undefined, 3, waiting);
      expect(again.x!.buffer).toBe(first.x!.buffer);
      expect(Array.from(await pipelined.run(again))).toEqual(new Array(12).fill(5));
      // This call's parameters alone and no run unsettled: every chunk written into its staging and submitted now.
      const x = new Float32Array(7 * 6).fill(3);
      const now = pipelined.take(x, 7, undefined, 3, { waiting: 0 });
      expect(now.x).toBeUndefined();
      expect(now.chunks).toHaveLength(3);
      x.fill(9);
      // While it is unsettled another idle-looking take copies (the ring is busy), and after it the ring takes at the call again.
      const behind = pipelined.take(new Float32Array(6).fill(4), 1, undefined, 3, { waiting: 0 });
      expect(behind.chunks).toBeUndefined();
      expect(Array.from(await pipelined.run(now))).toEqual(new Array(42).fill(3));
      expect(Array.from(await pipelined.run(behind))).toEqual(new Array(6).fill(4));
      const next = pipelined.take(new Float32Array(6).fill(2), 1, undefined, 3, { waiting: 0 });
      expect(next.chunks).toHaveLength(1);
      expect(Array.from(await pipelined.run(next))).toEqual(new Array(6).fill(2));
      // Not a typed array: copied.
      const array = pipelined.take(new Array<number>(6).fill(1), 1, undefined, 3, { waiting: 0 });
      expect(array.chunks).toBeUndefined();
      expect(Array.from(await pipelined.run(array))).toEqual(new Array(6).fill(1));
      // A fill refused at the call (a mapping of a device lost meanwhile) drops the ring and copies x instead.
      const fillNow = GpuStaging.prototype.fillNow;
      let fills = 0;
      GpuStaging.prototype.fillNow = function (this: GpuStaging, ...args: Parameters<typeof fillNow>) {
        if (++fills === 2) throw new Error('refused');
        fillNow.apply(this, args);
      };
      try {
        const refused = pipelined.take(new Float32Array(7 * 6).fill(6), 7, undefined, 3, { waiting: 0 });
        expect(refused.chunks).toBeUndefined();
        expect(Array.from(await pipelined.run(refused))).toEqual(new Array(42).fill(6));
      } finally {
        GpuStaging.prototype.fillNow = fillNow;
      }
    } finally {
      pipelined.destroy();
    }
  });

  it('an idle call submits its chunks at the call (the GPU starts while the caller goes on) and takes x there', async () => {
    const { runner, want } = await runnerFor(MAP, 'webgpu');
    const submits = submitCounter(await getTestDevice());
    try {
      // Chunks of 3: 3 + 3 + 3 + 1, 3 + 3 + 1, 3 + 1 (the last partial); chunks of 1: 16 at the call, 17 (over
      // HOST_PIPELINE.callChunks) copied and run through the ring's depth instead.
      for (const [batch, chunkRows, atCallWanted] of [[10, 3, 4], [7, 3, 3], [4, 3, 2], [16, 1, 16], [17, 1, 0], [10, 3, 4]]) {
        const x = randomArray(batch * MAP.in, rng(batch + 60));
        const rows = Float32Array.from(x);
        submits.taken();
        const y = runner.forward(x, { chunkRows });
        const atCall = submits.taken();
        x.fill(Number.NaN);
        expect(relativeError(await y, want(rows, batch)), `batch ${batch}`).toBeLessThan(TOL);
        expect(atCall, `batch ${batch}, chunks of ${chunkRows}: submissions made during the call`).toBe(atCallWanted);
      }
    } finally {
      submits.restore();
      runner.destroy();
    }
  });

  it('a ring of stagings of one runner runs at once, each with its own rows', async () => {
    const { runner, want } = await runnerFor(MAP, 'webgpu');
    const random = rng(47);
    const ring = [3, 3, 2].map((rows) => runner.createStaging(rows));
    try {
      for (let round = 0; round < 2; round++) {
        const xs = ring.map((s) => randomArray(s.capacity * MAP.in, random));
        await Promise.all(ring.map(async (s, i) => (await s.input()).set(xs[i])));
        // Every run issued before any is awaited: their submissions and mappings interleave.
        const results = await Promise.all(ring.map((s) => s.run()));
        results.forEach((y, i) => expect(relativeError(y, want(xs[i], ring[i].capacity)), `staging ${i}`).toBeLessThan(TOL));
      }
    } finally {
      runner.destroy();
    }
  });

  it('creates no buffer or bind group once warm, and stagings keep their rules beside it', async () => {
    const device = await getTestDevice();
    const { runner, want } = await runnerFor(MAP, 'webgpu');
    const random = rng(43);
    const staging = runner.createStaging(4);
    const step = async (batch: number, chunkRows: number) => {
      const x = randomArray(batch * MAP.in, random);
      const out = new Float32Array(batch * MAP.out);
      expect(relativeError(await runner.forward(x, { out, chunkRows }), want(x, batch))).toBeLessThan(TOL);
      const input = await staging.input(4);
      input.set(x.subarray(0, 4 * MAP.in));
      const result = await staging.run();
      expect(input.length, 'the input view expired').toBe(0);
      expect(relativeError(result, want(x.subarray(0, 4 * MAP.in), 4))).toBeLessThan(TOL);
    };
    try {
      // Warm: the ring for 3-row chunks and each slot's chunk sizes (the staging's 4 rows grow
      // the shared temporaries after the first call, which drops the bind groups made before).
      for (const batch of [9, 8, 7, 9]) await step(batch, 3);
      const counts = await countCreations(device, async () => {
        for (const batch of [7, 9, 8, 9]) await step(batch, 3);
        // Smaller chunks fit the same ring.
        await step(6, 3);
      });
      expect(counts).toEqual({ buffers: 0, bindGroups: 0 });
    } finally {
      runner.destroy();
    }
  });
});
