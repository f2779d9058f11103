/**
 * exportOnnx refuses what monc run refuses, and says why: a parameter the dtype cannot hold (beyond
 * ±65504 in an f16 module, NaN or ±Inf at either dtype) is a ValueRangeError naming the tensor and
 * element (the model computed ±Inf or NaN, and `monc export` exited 0); arguments that are not a
 * checked map, a dtype of 'f32' or 'f16', or a record of tensors are a MoncError of kind user (they
 * were TypeErrors, or an f32 model for dtype 'f64').
 */
import { existsSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { exportOnnx } from '../../src/export/onnx.js';
import { ValueRangeError } from '../../src/runtime/numerics.js';
import { writeSafetensors } from '../../src/runtime/formats/index.js';
import { MoncError } from '../../src/util/error.js';
import { cli, scratchDir } from '../cli/helpers.js';
import { checkedModule } from './onnx-harness.js';

const f16 = checkedModule('dtype f16\nmap f : 4 -> 2 = dense() + bias()\n');
const f32 = checkedModule('map f : 4 -> 2 = dense() + bias()\n');
const params = (weight: number) => new Map([['f.0.weight', new Float32Array(8).fill(weight)], ['f.1.bias', new Float32Array(2)]]);

describe('exportOnnx refuses', () => {
  it('an f16 parameter beyond ±65504, and NaN or Inf at either dtype, naming tensor and element', () => {
    expect(() => exportOnnx({ map: f16.maps[0]!, dtype: 'f16', params: params(1e5) })).toThrow(
      new ValueRangeError("parameter tensor 'f.0.weight' holds 100000 at element (0, 0): beyond the f16 range ±65504 of this f16 module"),
    );
    expect(() => exportOnnx({ map: f32.maps[0]!, dtype: 'f32', params: params(NaN) })).toThrow(/^parameter tensor 'f\.0\.weight' holds NaN at element \(0, 0\): not finite$/);
    expect(() => exportOnnx({ map: f16.maps[0]!, dtype: 'f16', params: params(-Infinity) })).toThrow(ValueRangeError);
    // The largest f16 value is exported.
    expect(exportOnnx({ map: f16.maps[0]!, dtype: 'f16', params: params(65504) }).length).toBeGreaterThan(0);
  });

  it.each([
    ['no options', undefined, 'takes an options object, not undefined'],
    ['null', null, 'takes an options object, not null'],
    ['no map', { dtype: 'f32', params: params(1) }, 'map must be a checked map (checkSource(…).module.maps), not undefined'],
    ['a dtype f64', { map: f32.maps[0], dtype: 'f64', params: params(1) }, `dtype must be 'f32' or 'f16', not "f64"`],
    ['params null', { map: f32.maps[0], dtype: 'f32', params: null }, 'params must be a Map or a record of tensors by name, not null'],
    // QA1 s31 Q1005: an Array was read as an empty record (a ParamError naming the first tensor).
    ['params an Array', { map: f32.maps[0], dtype: 'f32', params: [] }, 'params must be a Map or a record of tensors by name, not []'],
  ])('%s: a MoncError of kind user', (_, options, message) => {
    let thrown: unknown;
    try {
      exportOnnx(options as Parameters<typeof exportOnnx>[0]);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(MoncError);
    expect(thrown).toMatchObject({ kind: 'user', message: `exportOnnx({ map, dtype, params }): ${message}` });
  });
});

describe('monc export of an f16 module whose parameters pass ±65504', () => {
  const scratch = scratchDir();
  afterAll(() => scratch.remove());

  it('exits 1 with one line, writing nothing (monc run refuses the same file)', async () => {
    writeFileSync(scratch.path('ef.mon'), 'dtype f16\nmap f : 4 -> 2 = dense() + bias()\n');
    writeFileSync(scratch.path('ef.safetensors'), writeSafetensors(new Map([['f.0.weight', { shape: [2, 4], data: new Float32Array(8).fill(1e5) }], ['f.1.bias', { shape: [2], data: new Float32Array(2) }]])));
    const r = await cli(['export', scratch.path('ef.mon'), '--map', 'f', '--params', scratch.path('ef.safetensors'), '--out', scratch.path('ef.onnx')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^monc: error: .*parameter tensor 'f\.0\.weight' holds 100000 at element \(0, 0\): beyond the f16 range ±65504 of this f16 module\n$/);
    expect(existsSync(scratch.path('ef.onnx'))).toBe(false);
  });
});
