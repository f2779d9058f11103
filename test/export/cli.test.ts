/** `monc export`: the model it writes loads in ONNX Runtime and computes Y; user errors exit 1 and leave the output alone. */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { readSafetensors, writeSafetensors } from '../../src/runtime/formats/safetensors.js';
import { cli, cliJson, scratchDir } from '../cli/helpers.js';
import { checkedModule, randomInput, referenceY, relativeError, runOnnx } from './onnx-harness.js';

const SPEC = 'map up : 48 -> 80 = monarch(nblocks: 4) + bias()\n';
const scratch = scratchDir();
afterAll(() => scratch.remove());
const spec = scratch.path('ffn.mon');
writeFileSync(spec, SPEC);

describe('monc export', () => {
  test('writes a model ONNX Runtime runs, equal to the reference with the same parameters', async () => {
    await cliJson(['init', spec, '--map', 'up', '--out', scratch.path('up.safetensors'), '--seed', '3']);
    const out = await cliJson(['export', spec, '--map', 'up', '--params', scratch.path('up.safetensors'), '--out', scratch.path('up.onnx')]);
    expect(out).toMatchObject({ map: 'up', opset: 17, dtype: 'float32', input: ['batch', 48], output: ['batch', 80] });
    const params = new Map([...readSafetensors(readFileSync(scratch.path('up.safetensors'))).tensors].map(([k, t]) => [k, Float32Array.from(t.data)]));
    const x = randomInput(3 * 48, 9, 'f32');
    const { y } = await runOnnx(readFileSync(scratch.path('up.onnx')), x, 3, 48, 'f32');
    expect(relativeError(y, referenceY(checkedModule(SPEC), 'up', params, x, 3))).toBeLessThan(1e-5);
  });

  test('text output names the model it wrote', async () => {
    const r = await cli(['export', spec, '--map', 'up', '--params', scratch.path('up.safetensors'), '--out', scratch.path('up2.onnx')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${scratch.path('up2.onnx')}: ONNX opset 17, x (batch, 48) -> y (batch, 80), float32, map 'up'`);
  });

  test('a parameter file without the map\'s tensors exits 1 and leaves the output untouched', async () => {
    writeFileSync(scratch.path('keep.onnx'), 'old');
    writeFileSync(scratch.path('wrong.safetensors'), writeSafetensors(new Map([['up.0.blkdiag1', { shape: [4, 12, 13], data: new Float32Array(4 * 12 * 13) }]])));
    const r = await cli(['export', spec, '--map', 'up', '--params', scratch.path('wrong.safetensors'), '--out', scratch.path('keep.onnx'), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toBe(`${scratch.path('wrong.safetensors')}: tensor 'up.0.blkdiag1' has shape (4, 12, 13), expected (4, 12, 12)`);
    expect(readFileSync(scratch.path('keep.onnx'), 'utf8')).toBe('old');
    const missing = await cli(['export', spec, '--map', 'up', '--params', scratch.path('none.safetensors'), '--out', scratch.path('keep.onnx')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*none\.safetensors.*: no such file or directory/);
  });

  test('a spec error is located, exit 1', async () => {
    writeFileSync(scratch.path('bad.mon'), 'map ok : 32 -> 32 = dense()\nmap bad : 32 -> 32 = transpose(4, 8)\n');
    writeFileSync(scratch.path('empty.safetensors'), writeSafetensors(new Map()));
    const r = await cli(['export', scratch.path('bad.mon'), '--map', 'bad', '--params', scratch.path('empty.safetensors'), '--out', scratch.path('bad.onnx')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.mon:2:\d+: error/);
  });

  test('a missing --params is a usage error, exit 2', async () => {
    const r = await cli(['export', spec, '--map', 'up', '--out', scratch.path('x.onnx')]);
    expect(r.code).toBe(2);
  });
});
