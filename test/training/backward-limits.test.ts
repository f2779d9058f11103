/**
 * A backward pass whose rows need a buffer over the device's limits (review findings R10, R13) is
 * a MoncError of kind 'device' naming the largest batch that fits, before anything is made, not a
 * WebGPU validation error: every buffer it binds counts, the weight-gradient partials (one per
 * 256 rows, each the size of the parameters) included. (backward() runs such a batch in chunks,
 * encodeBackward refuses it: backward-chunks.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { backwardRowsLimit, backwardSpec, fitRowsLimit } from '../../src/runtime/gpu-backward.js';
import { rowsThatFit } from '../../src/manifest/rows-limit.js';
import { checkedMap, dense, monarch } from '../ir/structures.js';
import { compileModuleForTest } from '../training/compile.js';

function specOf(structure: Parameters<typeof checkedMap>[1], storage: 'f32' | 'f16' = 'f32') {
  const compiled = compileModuleForTest(checkedMap('a', structure), storage);
  const map = compiled.manifest.maps[0];
  return { map, compiled, spec: backwardSpec(map, { wgsl: compiled.wgsl, backward: map.backward!.kernels, storage }) };
}

describe('backwardRowsLimit', () => {
  it('bounds the rows by the widest row buffer and by the partials: every buffer of that many rows fits', () => {
    const { spec } = specOf(dense(64, 48));
    const limits = { maxStorageBufferBindingSize: 1 << 20, maxBufferSize: 1 << 22 };
    const { rows, bytes } = backwardRowsLimit(spec, limits);
    expect(bytes).toBe(1 << 20);
    const widest = Math.max(spec.in, spec.out, ...spec.buffers.map((b) => b.size));
    const partial = Math.max(...spec.partials.map((p) => p.size));
    // dense 64 -> 48: a partial of 3072 values (12 kB) per 256 rows, rows of 64 values (256 B).
    expect(rows).toBeLessThanOrEqual(Math.floor((1 << 20) / (widest * 4)));
    expect(Math.ceil(rows / spec.rowsPerSplit) * partial * 4).toBeLessThanOrEqual(1 << 20);
    // Not much below what the two bounds allow (each buffer is rounded up to 16 bytes).
    expect(rows).toBeGreaterThan(0.9 * Math.min(Math.floor((1 << 20) / (widest * 4)), Math.floor((1 << 20) / (partial * 4)) * spec.rowsPerSplit));
  });

  it('a wide map with few rows per split: the partials decide', () => {
    const { spec } = specOf(monarch(256, 256, 4));
    const roomy = backwardRowsLimit(spec, { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 31 });
    const tight = backwardRowsLimit(spec, { maxStorageBufferBindingSize: 2 ** 20, maxBufferSize: 2 ** 31 });
    expect(tight.rows).toBeLessThan(roomy.rows);
    expect(tight.rows % spec.rowsPerSplit === 0 || tight.rows === Math.floor(2 ** 20 / (256 * 4 + 16))).toBe(true);
  });
});

describe('fitRowsLimit', () => {
  const limits = { maxStorageBufferBindingSize: 1 << 20, maxBufferSize: 1 << 22 };

  it("f16 storage: the mini-batch's f32 targets, twice its outputs' bytes, decide before the backward pass's buffers (REV29-5)", () => {
    // dense 16 -> 48: rows of 48 f16 outputs (96 bytes) in the backward pass, of 48 f32 targets (192 bytes) in the fit.
    const { spec } = specOf(dense(16, 48), 'f16');
    expect(spec.storage).toBe('f16');
    const fit = fitRowsLimit(spec, limits);
    expect(fit.rows).toBe(rowsThatFit([48], 4, limits));
    expect(fit.rows).toBeLessThan(backwardRowsLimit(spec, limits).rows);
    expect(fit.bytes).toBe(1 << 20);
  });

  it('f32 storage: the backward pass decides, as it did', () => {
    const { spec } = specOf(dense(16, 48));
    expect(fitRowsLimit(spec, limits)).toEqual(backwardRowsLimit(spec, limits));
  });
});
