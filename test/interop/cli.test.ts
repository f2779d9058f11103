/** `monc convert`: a peer state dict in, monc parameters out (module dtype); what does not fit exits 1 and writes nothing. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { readSafetensors, writeSafetensors } from '../../src/runtime/formats/safetensors.js';
import { cli, cliJson, scratchDir } from '../cli/helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());
const ramp = (length: number, scale: number) => Float32Array.from({ length }, (_, i) => ((i % 17) - 8) * scale);

describe('monc convert', () => {
  writeFileSync(scratch.path('ffn.mon'), 'dtype f16\nmap up : 32 -> 64 = monarch(nblocks: 4) + bias()\n');
  writeFileSync(
    scratch.path('fly.safetensors'),
    writeSafetensors(
      new Map([
        ['model.fc1.blkdiag1', { shape: [4, 8, 8], data: ramp(256, 0.125) }],
        ['model.fc1.blkdiag2', { shape: [4, 16, 8], data: ramp(512, 0.25) }],
        ['model.fc1.bias', { shape: [64], data: ramp(64, 0.5) }],
      ]),
    ),
  );

  test('writes the map\'s tensors under monc names, in the module\'s dtype', async () => {
    const out = await cliJson(['convert', scratch.path('ffn.mon'), '--map', 'up', '--from', 'fly', '--in', scratch.path('fly.safetensors'), '--out', scratch.path('up.safetensors')]);
    expect(out).toMatchObject({ map: 'up', from: 'fly', dtype: 'F16', tensors: [{ name: 'up.0.blkdiag1', shape: [4, 8, 8] }, { name: 'up.0.blkdiag2', shape: [4, 16, 8] }, { name: 'up.1.bias', shape: [64] }] });
    const written = readSafetensors(readFileSync(scratch.path('up.safetensors'))).tensors;
    expect(Array.from(written.get('up.0.blkdiag2')!.data)).toEqual(Array.from(ramp(512, 0.25)));
    expect(Array.from(written.get('up.1.bias')!.data)).toEqual(Array.from(ramp(64, 0.5)));
  });

  test('a layer that does not fit exits 1 with the reason, and writes nothing', async () => {
    const r = await cli(['convert', scratch.path('ffn.mon'), '--map', 'up', '--from', 'ksmm', '--in', scratch.path('fly.safetensors'), '--out', scratch.path('none.safetensors'), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toBe(`${scratch.path('fly.safetensors')}: no KSMM KSLinear layer: no tensor named 'factors.0' or '….factors.0' (tensors: model.fc1.bias, model.fc1.blkdiag1, model.fc1.blkdiag2)`);
    expect(existsSync(scratch.path('none.safetensors'))).toBe(false);
  });

  test('a non-finite peer weight exits 1 naming the tensor and element, and writes nothing', async () => {
    const blkdiag1 = new Float32Array(256).fill(NaN);
    writeFileSync(
      scratch.path('nan.safetensors'),
      writeSafetensors(
        new Map([
          ['model.fc1.blkdiag1', { shape: [4, 8, 8], data: blkdiag1 }],
          ['model.fc1.blkdiag2', { shape: [4, 16, 8], data: ramp(512, 0.25) }],
          ['model.fc1.bias', { shape: [64], data: ramp(64, 0.5) }],
        ]),
      ),
    );
    const r = await cli(['convert', scratch.path('ffn.mon'), '--map', 'up', '--from', 'fly', '--in', scratch.path('nan.safetensors'), '--out', scratch.path('nan-out.safetensors')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`monc: error: ${scratch.path('nan.safetensors')}: peer tensor 'model.fc1.blkdiag1' holds NaN at element (0, 0, 0): not finite`]);
    expect(existsSync(scratch.path('nan-out.safetensors'))).toBe(false);
  });

  test('an unknown peer is a usage error, exit 2', async () => {
    const r = await cli(['convert', scratch.path('ffn.mon'), '--map', 'up', '--from', 'hf', '--in', scratch.path('fly.safetensors'), '--out', scratch.path('x.safetensors')]);
    expect(r.code).toBe(2);
  });
});
