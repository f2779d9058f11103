/** Regression tests (issue 13): non-finite parameters and out-of-range f16 inputs are refused with one line naming the value. */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkValues, F16_MAX, ValueRangeError } from '../../src/runtime/numerics.js';
import { writeNpy } from '../../src/runtime/formats/npy.js';
import { readSafetensors, writeSafetensors } from '../../src/runtime/formats/safetensors.js';
import { cli, scratchDir } from './helpers.js';

const scratch = scratchDir();
const f32 = scratch.path('f32.mon');
const f16 = scratch.path('f16.mon');
beforeAll(async () => {
  writeFileSync(f32, 'module n32\nmap m : 6 -> 4 = dense()\n');
  writeFileSync(f16, 'module n16\ndtype f16\nmap m : 6 -> 4 = dense()\n');
  for (const [spec, out] of [[f32, 'p32.safetensors'], [f16, 'p16.safetensors']]) expect((await cli(['init', spec, '--map', 'm', '--out', scratch.path(out)])).code).toBe(0);
  writeFileSync(scratch.path('x.npy'), writeNpy(new Float32Array(12).fill(0.5), [2, 6]));
});
afterAll(() => scratch.remove());

/** The parameter file with one value replaced. */
function withValue(file: string, index: number, value: number): string {
  const t = readSafetensors(readFileSync(scratch.path(file))).tensors.get('m.weight')!;
  const data = Float32Array.from(t.data);
  data[index] = value;
  const out = scratch.path(`bad-${value}-${file}`);
  writeFileSync(out, writeSafetensors(new Map([['m.weight', { shape: t.shape, data }]])));
  return out;
}

const run = (spec: string, params: string, input = scratch.path('x.npy'), backend = 'cpu') =>
  cli(['run', spec, '--map', 'm', '--params', params, '--input', input, '--out', scratch.path('y.npy'), '--backend', backend]);

describe('numeric semantics at load', () => {
  for (const value of [NaN, Infinity, -Infinity])
    for (const backend of ['cpu', 'webgpu'])
      it(`a ${value} parameter is refused on ${backend}, naming the tensor and element`, async () => {
        const params = withValue('p32.safetensors', 7, value);
        const r = await run(f32, params, undefined, backend);
        expect(r.code).toBe(1);
        expect(r.stderr.split('\n').filter((l) => l.startsWith('monc: error:'))).toEqual([`monc: error: ${params}: parameter tensor 'm.weight' holds ${value} at element (1, 1): not finite`]);
      });

  it('monc dense refuses them too', async () => {
    const params = withValue('p32.safetensors', 0, NaN);
    const r = await cli(['dense', f32, '--map', 'm', '--params', params, '--out', scratch.path('w.npy')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`monc: error: ${params}: parameter tensor 'm.weight' holds NaN at element (0, 0): not finite\n`);
  });

  // QA1 s25 Q402: monc dense took them (and wrote M), run and export refused them later without the file's name.
  it("an f16 module's parameter beyond ±65504 is refused, naming the file, by every command that reads it", async () => {
    const params = withValue('p16.safetensors', 7, 70000);
    const expected = `monc: error: ${params}: parameter tensor 'm.weight' holds 70000 at element (1, 1): beyond the f16 range ±65504 of this f16 module\n`;
    const x = scratch.path('x.npy');
    for (const args of [
      ['dense', f16, '--map', 'm', '--params', params, '--out', scratch.path('w16.npy')],
      ['run', f16, '--map', 'm', '--params', params, '--input', x, '--out', scratch.path('y16.npy'), '--backend', 'cpu'],
      ['export', f16, '--map', 'm', '--params', params, '--out', scratch.path('m16.onnx')],
    ]) {
      const r = await cli(args);
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr, args[0]).toBe(expected);
    }
  });

  it('an f16 module refuses inputs beyond ±65504, and takes 65504 itself', async () => {
    const big = scratch.path('big.npy');
    writeFileSync(big, writeNpy(Float32Array.from([0, 0, 0, 70000, 0, 0]), [1, 6]));
    const r = await run(f16, scratch.path('p16.safetensors'), big);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^monc: error: input of map 'm' holds 70000 at element \(0, 3\): beyond the f16 range ±65504 of this f16 module\n$/m);
    writeFileSync(big, writeNpy(Float32Array.from([0, 0, 0, F16_MAX, 0, 0]), [1, 6]));
    expect((await run(f16, scratch.path('p16.safetensors'), big)).code).toBe(0);
  });

  it('checkValues: f32 takes any finite value, f16 only its range', () => {
    expect(() => checkValues([3e38, -3e38], 'f32', 'x')).not.toThrow();
    expect(() => checkValues([65505], 'f16', 'x')).toThrow(ValueRangeError);
    expect(() => checkValues([NaN], 'f32', "parameter tensor 'a'")).toThrow("parameter tensor 'a' holds NaN at element 0: not finite");
  });
});
