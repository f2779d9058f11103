/**
 * An input whose conversion to float32 throws (QA2 s18 R73: a BigInt, a BigInt64Array, an element
 * whose valueOf throws; from JavaScript `forward` takes any array of numbers by value): the call is
 * a MoncError of kind `user` saying what the conversion threw, and the runner runs the same batch right at once
 * after it. Before, the one-piece round trip threw a bare TypeError while its upload buffer was
 * mapped with a range handed out, and every later call of that batch size failed with an empty
 * DOMException. On each backend (WebGPU one piece and in chunks; the CPU executor); backward's and fitMse's arrays likewise.
 */
import { describe, expect, it } from 'vitest';
import { MapRunner } from '../../src/runtime/node.js';
import { checkedMap, monarch, randomParams, rng } from '../ir/structures.js';
import { relativeError } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
import { expectMoncError } from '../support/user-error.js';
import { compileModuleForTest } from '../training/compile.js';

const checked = checkedMap('sq', monarch(64, 64, 8));
const { manifest, wgsl } = compileModuleForTest(checked);
const tensors = randomParams(checked.structure, rng(5));
const params = Object.fromEntries([...tensors].map(([k, v]) => [k, Float32Array.from(v)]));
const input = (rows: number) => Float32Array.from({ length: rows * 64 }, (_, i) => Math.sin(i * rows + 1));

/** `x` as an Array with `value` at element `at`. */
const holding = (x: Float32Array, at: number, value: unknown) => Object.assign(Array.from(x) as unknown[], { [at]: value });
const throwing = { valueOf: () => { throw new Error('no number here'); } };

/** The bad inputs of `rows` rows, with how the error's message goes on after `got `. */
const badInputs = (rows: number) => [
  { what: 'an Array holding 1n', x: holding(input(rows), 64 * rows - 61, 1n), said: 'TypeError: ' },
  { what: 'a BigInt64Array', x: new BigInt64Array(64 * rows), said: 'TypeError: ' },
  { what: 'an element whose valueOf throws', x: holding(input(rows), 5, throwing), said: 'Error: no number here' },
];

/** forward(x) right, each bad input refused (kind user, naming its element), forward(x) right again: on `runner`, `rows` rows, `options`. */
async function expectRefusedThenRight(runner: MapRunner, rows: number, options: { chunkRows?: number } = {}): Promise<void> {
  const x = input(rows);
  const want = referenceApply(checked.structure, tensors, x, rows);
  expect(relativeError(await runner.forward(x, options), want), 'first').toBeLessThan(1e-5);
  for (const { what, x: bad, said } of badInputs(rows)) {
    // (V8's words differ by path: "Cannot convert a BigInt value to a number", "Cannot mix BigInt and other types".)
    const e = await expectMoncError(() => runner.forward(bad as never, options), 'user', `map 'sq': forward: the input must be numbers, got ${said}`);
    expect(e.message, what).toMatch(said === 'TypeError: ' ? /BigInt/ : /no number here$/);
    for (const again of [x, Array.from(x)]) expect(relativeError(await runner.forward(again as never, options), want), `after ${what}`).toBeLessThan(1e-5);
  }
}

describe('an input whose conversion to float32 throws is kind user and leaves the runner right', () => {
  it('WebGPU, one piece (1 and 2 rows)', async () => {
    const runner = await MapRunner.create(manifest.maps[0], wgsl);
    try {
      runner.loadParams(params);
      await expectRefusedThenRight(runner, 1);
      await expectRefusedThenRight(runner, 2);
    } finally {
      runner.destroy();
    }
  });

  it('WebGPU, in chunks', async () => {
    const runner = await MapRunner.create(manifest.maps[0], wgsl);
    try {
      runner.loadParams(params);
      await expectRefusedThenRight(runner, 5, { chunkRows: 2 });
    } finally {
      runner.destroy();
    }
  });

  it("backward's and fitMse's arrays (the training entry), on WebGPU", async () => {
    const runner = await MapRunner.create(manifest.maps[0], wgsl, { training: true });
    try {
      runner.loadParams(params);
      const x = input(2);
      const dy = input(2).map((v) => v / 2);
      const want = await runner.backward(x, dy);
      for (const { what, x: bad, said } of badInputs(2)) {
        const text = (role: string) => `map 'sq': ${role} must be numbers, got ${said}`;
        await expectMoncError(() => runner.backward(bad as never, dy), 'user', text('backward: the input'));
        await expectMoncError(() => runner.backward(x, bad as never), 'user', text('backward: the output gradient'));
        await expectMoncError(() => runner.fitMse(bad as never, dy, { steps: 1, optimizer: { kind: 'sgd', lr: 0 } }), 'user', text('fitMse: the input'));
        await expectMoncError(() => runner.fitMse(x, bad as never, { steps: 1, optimizer: { kind: 'sgd', lr: 0 } }), 'user', text('fitMse: the target'));
        const again = await runner.backward(x, dy);
        expect(relativeError(again.dx, want.dx), `after ${what}`).toBe(0);
      }
    } finally {
      runner.destroy();
    }
  });

  it('the CPU executor', async () => {
    const runner = await MapRunner.create(manifest.maps[0], wgsl, { backend: 'cpu' });
    runner.loadParams(params);
    await expectRefusedThenRight(runner, 2);
  });
});
