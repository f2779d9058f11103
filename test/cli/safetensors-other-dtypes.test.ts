/**
 * safetensors files that hold tensors of dtypes monc does not read beside the ones asked for (a
 * PyTorch state dict: I64 counters, BOOL masks), review finding R10: `monc run --params` and
 * `monc project --dense … --tensor` read the tensors they need; asking for an I64 one is a
 * one-line error naming the file, the tensor and the dtypes read (exit 1).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../src/runtime/formats/npy.js';
import { readSafetensors } from '../../src/runtime/formats/safetensors.js';
import { f32Tensor, rawSafetensors, type RawTensor } from '../support/raw-safetensors.js';
import { cli, scratchDir } from './helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());
const counter: RawTensor = { name: 'bn.num_batches_tracked', dtype: 'I64', shape: [], bytes: new Uint8Array(8).fill(1) };
const mask: RawTensor = { name: 'mask', dtype: 'BOOL', shape: [4], bytes: new Uint8Array([1, 0, 0, 1]) };
writeFileSync(scratch.path('d.mon'), 'map d : 4 -> 4 = diag()\n');

describe('safetensors files with I64 and BOOL tensors beside the F32 ones', () => {
  it('monc run --params reads the map’s tensor and computes with it', async () => {
    writeFileSync(scratch.path('p.safetensors'), rawSafetensors([counter, f32Tensor('d.d', [4], [1, 2, 3, 4]), mask]));
    writeFileSync(scratch.path('x.npy'), writeNpy(new Float32Array([1, 1, 1, 1, 2, 0, -1, 0.5]), [2, 4]));
    const r = await cli(['run', scratch.path('d.mon'), '--map', 'd', '--params', scratch.path('p.safetensors'), '--input', scratch.path('x.npy'), '--out', scratch.path('y.npy'), '--backend', 'cpu']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect([...readNpy(readFileSync(scratch.path('y.npy'))).data]).toEqual([1, 2, 3, 4, 2, 0, -3, 2]);
  });

  it('monc project --dense … --tensor fc.weight reads that tensor; --tensor of the I64 one is a one-line error', async () => {
    const w = Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? i / 5 + 1 : 0)); // diag(1, 2, 3, 4)
    const sd = scratch.path('sd.safetensors');
    writeFileSync(sd, rawSafetensors([f32Tensor('fc.weight', [4, 4], w), counter, mask]));
    const ok = await cli(['project', scratch.path('d.mon'), '--map', 'd', '--dense', sd, '--tensor', 'fc.weight', '--out', scratch.path('o.safetensors')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect([...readSafetensors(readFileSync(scratch.path('o.safetensors'))).tensors.get('d.d')!.data]).toEqual([1, 2, 3, 4]);
    const bad = await cli(['project', scratch.path('d.mon'), '--map', 'd', '--dense', sd, '--tensor', 'bn.num_batches_tracked', '--out', scratch.path('o2.safetensors')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`monc: error: ${sd}: safetensors: tensor 'bn.num_batches_tracked' is I64; monc reads F32, F16, BF16, F64\n`);
  });
});
