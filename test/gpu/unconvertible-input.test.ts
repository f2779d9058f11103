/**
 * An input whose conversion to float32 throws (QA2 s18 R73: a BigInt, a BigInt64Array, an element
 * whose valueOf throws; from JavaScript `forward` takes any array of numbers by value): the call is
 * a MoncError of kind `user` saying what the conversion threw, and the runner runs the same batch right at once
 * after it. Before, the one-piece round trip threw a bare TypeError while its upload buffer was
 * mapped with a range handed out, and every later call of that batch size failed with an empty
 * DOMException. On each backend (WebGPU one piece and in chunks; the CPU executor); backward's and fitMse's arrays likewise;
 * an f16 module's forward too, whose range check sees the element first (before, it said kind `value`, "holds 1 ...
 * not finite": REV s18 6). An input the host refuses to copy (a RangeError: here more values than a typed array holds)
 * is kind `device`, as memory the host refuses is (docs/install.md; REV s18 4), not the input's fault.
 */
import { describe, expect, it } from 'vitest';
import { MapRunner, type MapRunnerOptions } from '../../src/runtime/node.js';
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

/** A runner of `built` (default: the f32 module) with its parameters loaded, for `body`; destroyed after. */
async function withRunner(options: MapRunnerOptions, body: (runner: MapRunner) => Promise<void>, built = { manifest, wgsl }): Promise<void> {
  const runner = await MapRunner.create(built.manifest.maps[0], built.wgsl, options);
  try {
    runner.loadParams(params);
    await body(runner);
  } finally {
    runner.destroy();
  }
}

describe('an input whose conversion to float32 throws is kind user and leaves the runner right', () => {
  it('WebGPU, one piece (1 and 2 rows)', () =>
    withRunner({}, async (runner) => {
      await expectRefusedThenRight(runner, 1);
      await expectRefusedThenRight(runner, 2);
    }));

  it('WebGPU, in chunks', () => withRunner({}, (runner) => expectRefusedThenRight(runner, 5, { chunkRows: 2 })));

  it("backward's and fitMse's arrays (the training entry), on WebGPU", () =>
    withRunner({ training: true }, async (runner) => {
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
    }));

  it('the CPU executor', () => withRunner({ backend: 'cpu' }, (runner) => expectRefusedThenRight(runner, 2)));
});

/** An array-like of more values than a typed array holds: its copy is refused by the host, with a RangeError, before any value is read. */
const tooLong = { length: 2 ** 33 } as never;
/** What a copy the host refused says after the input's name (V8: "Invalid typed array length: 8589934592"). */
const HOST_REFUSED = 'RangeError: ';

describe("an input the host refuses to copy is kind device, and the runner runs after it", () => {
  it.each(['webgpu', 'cpu'] as const)('forward on %s', (backend) =>
    withRunner({ backend }, async (runner) => {
      await expectMoncError(() => runner.forward(tooLong), 'device', `map 'sq': forward: the input: ${HOST_REFUSED}`);
      expect(relativeError(await runner.forward(input(2)), referenceApply(checked.structure, tensors, input(2), 2))).toBeLessThan(1e-5);
    }),
  );

  it("backward's and fitMse's arrays", () =>
    withRunner({ training: true }, async (runner) => {
      const x = input(2);
      await expectMoncError(() => runner.backward(tooLong, x), 'device', `map 'sq': backward: the input: ${HOST_REFUSED}`);
      await expectMoncError(() => runner.backward(x, tooLong), 'device', `map 'sq': backward: the output gradient: ${HOST_REFUSED}`);
      await expectMoncError(() => runner.fitMse(x, tooLong, { steps: 1, optimizer: { kind: 'sgd', lr: 0 } }), 'device', `map 'sq': fitMse: the target: ${HOST_REFUSED}`);
      expect((await runner.backward(x, x)).dx.length).toBe(x.length);
    }));
});

describe('an f16 module: an input that does not convert is the same user error as in an f32 one', () => {
  const f16 = compileModuleForTest(checked, 'f16');
  it.each(['webgpu', 'cpu'] as const)('%s', (backend) =>
    withRunner({ backend }, async (runner) => {
      const x = input(2);
      const want = await runner.forward(x);
      for (const { what, x: bad, said } of badInputs(2)) {
        await expectMoncError(() => runner.forward(bad as never), 'user', `map 'sq': forward: the input must be numbers, got ${said}`);
        expect(await runner.forward(x), `after ${what}`).toEqual(want);
      }
      // Still its range check for numbers beyond f16's.
      await expectMoncError(() => runner.forward(holding(x, 3, 1e6) as never), 'value', 'holds 1000000 at element (0, 3): beyond the f16 range');
    }, f16),
  );
});

/** A Float32Array of `values` whose buffer was transferred, as `worker.postMessage(x, [x.buffer])` does: it holds nothing. */
function detached(values: Float32Array): Float32Array {
  structuredClone(values.buffer, { transfer: [values.buffer] });
  return values;
}

// QA2 s23 Q257: a transferred array's copy was a bare TypeError ("Cannot perform Construct on a detached ArrayBuffer").
describe("an array whose buffer was transferred (detached): a MoncError (forward: kind user; backward and loadParams' bytes: the 0 values it holds), and the runner runs after it", () => {
  it.each(['webgpu', 'cpu'] as const)('%s', (backend) =>
    withRunner({ backend, training: true }, async (runner) => {
      const x = input(2);
      const want = referenceApply(checked.structure, tensors, x, 2);
      // forward's input is copied first (V8: "TypeError: Cannot perform %TypedArray%.prototype.at on a detached ArrayBuffer");
      // backward's arrays, as forward's `out` and fitMse's, are the 0 values they hold.
      const refused = await expectMoncError(() => runner.forward(detached(input(2))), 'user', "map 'sq': forward: the input must be numbers, got TypeError: ");
      expect(refused.message).toMatch(/detached/);
      await expectMoncError(() => runner.backward(detached(input(2)), x, 2), 'shape', "map 'sq': input has 0 values; expected batch 2 x 64 = 128");
      await expectMoncError(() => runner.backward(x, detached(input(2)), 2), 'shape', "map 'sq': output gradient has 0 values; expected batch 2 x 64 = 128");
      await expectMoncError(() => runner.backward(detached(input(2)), x), 'shape', "map 'sq': output gradient has 128 values; expected batch 0 x 64 = 0");
      // loadParams' bytes, a transferred ArrayBuffer as a Uint8Array over one, are a file of 0 bytes (the buffer was a bare
      // TypeError, "Cannot perform Construct on a detached ArrayBuffer"); the parameters loaded before stay.
      const view = new Uint8Array(64);
      structuredClone(view.buffer, { transfer: [view.buffer] });
      for (const bytes of [view.buffer, view]) {
        await expectMoncError(() => runner.loadParams(bytes), 'format', 'safetensors: truncated file (0 bytes, need at least 8 for the header length)');
      }
      expect(relativeError(await runner.forward(x), want)).toBeLessThan(1e-5);
    }),
  );
});
