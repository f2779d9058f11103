/**
 * The failures a user meets on forward(), each with its documented kind, and what they leave: a
 * runner that runs the next call right (chunks filled at the call again: no run left counted as
 * busy), no parameters left held (a load after them copies nothing), no buffer left behind — or,
 * after a lost device, a runner whose every call says so and whose destroy() frees everything.
 * Counted on a device of the test's own (counting-device.ts).
 */
import { expect, it } from 'vitest';
import { MapRunner } from '../../src/runtime/node.js';
import { checkedMap, monarch, randomParams, rng } from '../ir/structures.js';
import { countingDevice } from '../support/counting-device.js';
import { relativeError } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
import { expectMoncError } from '../support/user-error.js';
import { compileModuleForTest } from '../training/compile.js';

const checked = checkedMap('a', monarch(24, 16, 4));
const { manifest, wgsl } = compileModuleForTest(checked);
const tensors = randomParams(checked.structure, rng(9));
const params = Object.fromEntries([...tensors].map(([k, v]) => [k, Float32Array.from(v)]));
const input = (rows: number, seed = rows) => Float32Array.from({ length: rows * checked.in }, (_, i) => Math.sin(i * seed + 1));
const want = (x: Float32Array, rows: number) => referenceApply(checked.structure, tensors, x, rows);

/** A runner with loaded parameters on a counting device, what `body` checks it with; both destroyed after (again, if `body` did). */
async function withRunner(body: (t: { device: GPUDevice; runner: MapRunner; labels: () => string[]; expectUsable: (why: string) => Promise<void> }) => Promise<void>): Promise<void> {
  const { device, live } = await countingDevice();
  let submits = 0;
  const submit = device.queue.submit.bind(device.queue);
  device.queue.submit = (buffers: Iterable<GPUCommandBuffer>) => {
    submits++;
    submit(buffers);
  };
  const runner = await MapRunner.create(manifest.maps[0], wgsl, { device });
  runner.loadParams(params);
  const labels = () => [...live.values()].filter((l) => l !== 'monc no pattern').sort();
  /** The runner is as before: 7 rows in chunks of 2 submit their 4 chunks during the call and are right; a load copies no parameters. */
  const expectUsable = async (why: string) => {
    const x = input(7, 3);
    const before = submits;
    const y = runner.forward(x, { out: new Float32Array(7 * checked.out), chunkRows: 2 });
    expect(submits - before, `${why}: chunks submitted during the call`).toBe(4);
    expect(relativeError(await y, want(x, 7)), why).toBeLessThan(1e-5);
    runner.loadParams(params);
    expect(labels().filter((l) => l === 'monc params (held)'), `${why}: parameters left held`).toEqual([]);
  };
  try {
    await body({ device, runner, labels, expectUsable });
  } finally {
    runner.destroy();
    device.destroy();
  }
}

it('wrong-length x or out, out not a Float32Array, a bad chunkRows: their kind, and the runner as before', () =>
  withRunner(async ({ runner, labels, expectUsable }) => {
    await expectUsable('first');
    const made = labels();
    const x = input(5);
    await expectMoncError(() => runner.forward(input(5).subarray(1)), 'shape', "map 'a': input of 119 values is not a whole number of rows of 24");
    await expectMoncError(() => runner.forward(x, 4), 'shape', "map 'a': input has 120 values; expected batch 4 x 24 = 96");
    await expectMoncError(() => runner.forward(x, { out: new Float32Array(5 * checked.out + 1) }), 'shape', "map 'a': out has 81 values; expected batch 5 x 16 = 80");
    await expectMoncError(() => runner.forward(x, { out: new Float64Array(5 * checked.out) as never }), 'user', "map 'a': forward: out must be a Float32Array");
    await expectMoncError(() => runner.forward(x, { chunkRows: 0 }), 'user', "map 'a': chunkRows must be a positive whole number of rows or Infinity, got 0");
    expect(labels(), 'nothing made by the refused calls').toEqual(made);
    await expectUsable('after the refused calls');
  }));

it('a batch of 0 (one piece or in chunks, with or without out) gives an empty result and leaves the runner as before', () =>
  withRunner(async ({ runner, expectUsable }) => {
    for (const options of [{}, { out: new Float32Array(0) }, { chunkRows: 2 }, { out: new Float32Array(0), chunkRows: 2 }, { chunkRows: Infinity }]) {
      expect(await runner.forward(new Float32Array(0), options), JSON.stringify(options)).toEqual(new Float32Array(0));
    }
    await expectUsable('after batches of 0');
  }));

it('calls in flight together (one piece and chunked, a refused one among them) each give their own result; the runner is as before after them', () =>
  withRunner(async ({ runner, expectUsable }) => {
    const calls = [
      { rows: 7, chunkRows: 2 },
      { rows: 3 },
      { rows: 9, chunkRows: 4 },
      { rows: 5, chunkRows: Infinity },
      { rows: 6, chunkRows: 1 },
    ].map(({ rows, chunkRows }, i) => {
      const x = input(rows, i + 11);
      return { x, rows, y: runner.forward(x, { out: new Float32Array(rows * checked.out), ...(chunkRows ? { chunkRows } : {}) }) };
    });
    // (Checked as it settles: a rejection awaited only later would count as unhandled meanwhile.)
    const refused = expectMoncError(() => runner.forward(input(2), 3), 'shape', "map 'a': input has 48 values; expected batch 3 x 24 = 72");
    for (const { x, rows, y } of calls) expect(relativeError(await y, want(x, rows)), `${rows} rows`).toBeLessThan(1e-5);
    await refused;
    await expectUsable('after the calls in flight');
  }));

it('a forward on a destroyed runner is kind user, and nothing of it is left', () =>
  withRunner(async ({ runner, labels, expectUsable }) => {
    await expectUsable('first');
    runner.destroy();
    expect(labels()).toEqual([]);
    await expectMoncError(() => runner.forward(input(7), { chunkRows: 2 }), 'user', "map 'a': the runner was destroyed");
    await expectMoncError(() => runner.forward(input(3)), 'user', "map 'a': the runner was destroyed");
    expect(labels()).toEqual([]);
  }));

it('the device lost mid-stream: the calls in flight and every later one are kind device; destroy() frees everything', () =>
  withRunner(async ({ device, runner, labels }) => {
    const first = input(7, 5);
    const stream = [runner.forward(first, { chunkRows: 2 })];
    expect(relativeError(await stream[0], want(first, 7))).toBeLessThan(1e-5);
    stream.push(runner.forward(input(7), { chunkRows: 2 }), runner.forward(input(3)), runner.forward(input(9), { chunkRows: 4 }));
    device.destroy();
    for (const call of stream.slice(1)) await expectMoncError(() => call, 'device', 'WebGPU device lost');
    await expectMoncError(() => runner.forward(input(7), { chunkRows: 2 }), 'device', 'WebGPU device lost');
    await expectMoncError(() => runner.forward(input(3)), 'device', 'WebGPU device lost');
    runner.destroy();
    expect(labels()).toEqual([]);
  }));
