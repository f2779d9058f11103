/**
 * Float64 files hold values float32 cannot (QA E9): an F64 parameter or a `<f8` input beyond
 * ±3.4e38 would become ±Inf once the map stores it in f32. Refused, naming the tensor (or row
 * and column) and the value, by every command that reads it, as an F32 Inf parameter is; values
 * f32 can hold, the largest included, still run.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { checkValues, ValueRangeError } from '../../src/runtime/numerics.js';
import { npyF64 } from '../support/npy-f64.js';
import { cli, scratchDir } from './helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());

/** A safetensors file of one F64 tensor. */
function f64Safetensors(name: string, shape: number[], values: number[]): Uint8Array {
  const data = new Uint8Array(new Float64Array(values).buffer);
  const header = new TextEncoder().encode(JSON.stringify({ [name]: { dtype: 'F64', shape, data_offsets: [0, data.length] } }));
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

const spec = scratch.path('s.mon');
writeFileSync(spec, 'map f : 3 -> 2 = dense()\n');
const huge = scratch.path('huge.safetensors');
writeFileSync(huge, f64Safetensors('f.weight', [2, 3], [1, 2, 3, 4, -1e300, 6]));
const largest = scratch.path('largest.safetensors');
writeFileSync(largest, f64Safetensors('f.weight', [2, 3], [3.4028234663852886e38, 0, 0, 0, 0, 1]));
const ones = scratch.path('x.npy');
writeFileSync(ones, npyF64([1, 1, 1], [1, 3]));
const bigInput = scratch.path('xbig.npy');
writeFileSync(bigInput, npyF64([1, 1, 1, 1, 1e39, 1], [2, 3]));

describe('float64 values beyond float32', () => {
  it("checkValues holds f32 parameters to f32's range, as stored", () => {
    expect(() => checkValues(new Float64Array([1, 1e39]), 'f32', "parameter tensor 'w'")).toThrow(ValueRangeError);
    expect(() => checkValues(new Float64Array([1, 1e39]), 'f32', "parameter tensor 'w'")).toThrow("parameter tensor 'w' holds 1e+39 at element 1: beyond the f32 range ±3.4e38");
    expect(() => checkValues(new Float64Array([3.4028234663852886e38, -3.4028234663852886e38]), 'f32', 'w')).not.toThrow();
    expect(() => checkValues(new Float64Array([Infinity]), 'f32', 'w')).toThrow('not finite');
    expect(() => checkValues([70000], 'f16', 'w')).toThrow('beyond the f16 range ±65504');
  });

  for (const [command, args] of [
    ['run', ['run', spec, '--map', 'f', '--params', huge, '--input', ones, '--out', scratch.path('y.npy'), '--backend', 'cpu']],
    ['dense', ['dense', spec, '--map', 'f', '--params', huge, '--out', scratch.path('w.npy')]],
    ['export', ['export', spec, '--map', 'f', '--params', huge, '--out', scratch.path('m.onnx')]],
  ] as const)
    it(`${command} refuses an F64 parameter beyond float32, in one line`, async () => {
      const r = await cli(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`monc: error: ${huge}: parameter tensor 'f.weight' holds -1e+300 at element (1, 1): beyond the f32 range ±3.4e38\n`);
    });

  it('the largest float32 value runs', async () => {
    const r = await cli(['dense', spec, '--map', 'f', '--params', largest, '--out', scratch.path('w2.npy')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('run refuses a <f8 input beyond float32 with its row and column', async () => {
    const params = scratch.path('p.safetensors');
    expect((await cli(['init', spec, '--map', 'f', '--out', params])).code).toBe(0);
    const r = await cli(['run', spec, '--map', 'f', '--params', params, '--input', bigInput, '--out', scratch.path('y2.npy'), '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`monc: error: ${bigInput}: input holds 1e+39 (beyond float32) at row 1, column 1; values must lie within float32's range ±3.4e38\n`);
  });
});
