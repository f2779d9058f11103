/**
 * How much decodeManifest's check of the ops against the model (src/manifest/model-ops.ts) tabulates: every permutation
 * it compares entry by entry is an index map's table (indexMapTable), counted here. Session 26 made the tables of a map's
 * transposes, K factors' splits and index maps at every use and keyed them as text: a 16384-wide Monarch behind a
 * transpose took 86 ms to decode (7 before the check). A one-step permutation is found by its digits now, and a table
 * is made only to tell apart two permutations of one size written differently; model-ops.test.ts holds what the check
 * refuses and accepts.
 */
import { describe, expect, it, vi } from 'vitest';
import { compileModule } from '../../src/compile.js';
import { indexMapTable } from '../../src/manifest/index-map.js';
import { decodeManifest } from '../../src/runtime/index.js';

vi.mock('../../src/manifest/index-map.js', async (original) => {
  const actual = await original<typeof import('../../src/manifest/index-map.js')>();
  return { ...actual, indexMapTable: vi.fn(actual.indexMapTable) };
});

const N = 16384;

describe('decoding a 16384-wide Monarch behind a transpose', () => {
  it('tabulates no permutation: the transpose, the K factor and the index map that folds them are one step', () => {
    const compiled = compileModule(`module wide\nmap m : ${N} -> ${N} = monarch(nblocks: 128) @ transpose(128, 128)\n`, 'wide.mon');
    const file = JSON.parse(compiled.outputs!.manifestJson);
    // Forward and backward ops, the first reading x through the transpose.
    expect(file.maps[0].ops[0].input.steps).toEqual([{ shape: [128, 128], perm: [1, 0] }]);
    expect(file.maps[0].backward.ops.length).toBeGreaterThan(2);
    vi.mocked(indexMapTable).mockClear();
    expect(decodeManifest(file).maps[0].name).toBe('m');
    expect(vi.mocked(indexMapTable).mock.calls.map(([m]) => m.size)).toEqual([]);
    // The same map's input read through another permutation of its size: refused, by comparing tables.
    file.maps[0].ops[0].input.steps = [{ shape: [64, 256], perm: [1, 0] }];
    expect(() => decodeManifest(file)).toThrow(/maps\[0\]\.ops\[0\]: reads 'x' through its input index map, not what the model's weighted factor 0 reads/);
  });

  // FIX s28 (F-2's butterfly half): a 14-stage butterfly's ops, forward and backward, compose each stage's K factor
  // splits: 88 tables of 16384 (compositions of two steps, and 12 of them compared entry by entry with others equal to
  // them), a first decode of 95-240 ms against 33-67 before the check. Two steps whose digits line up are one step
  // (mergeSteps), found by its canonical form.
  it('butterfly(radix: 2) @ transpose + monarch: tabulates no permutation, and still refuses another one', () => {
    const compiled = compileModule(`module wide\nmap m : ${N} -> ${N} = butterfly(radix: 2) @ transpose(128, 128) + monarch(nblocks: 128)\n`, 'wide.mon');
    const text = compiled.outputs!.manifestJson;
    const decoded = (edit: (ops: { input: { steps: unknown[] } }[]) => void) => {
      const file = JSON.parse(text);
      edit(file.maps[0].ops);
      vi.mocked(indexMapTable).mockClear();
      return decodeManifest(file).maps[0].name;
    };
    expect(JSON.parse(text).maps[0].backward.ops.length).toBeGreaterThan(28);
    expect(decoded(() => {})).toBe('m');
    expect(vi.mocked(indexMapTable).mock.calls.map(([m]) => m.size)).toEqual([]);
    // The transpose written otherwise (its first digit split in two), or as three transposes: the same permutation, accepted.
    expect(decoded((ops) => (ops[0].input.steps = [{ shape: [2, 64, 128], perm: [2, 0, 1] }]))).toBe('m');
    expect(decoded((ops) => (ops[0].input.steps = Array.from({ length: 3 }, () => ({ shape: [128, 128], perm: [1, 0] }))))).toBe('m');
    // Another permutation of that size, in one step or in two that merge into one: refused.
    const refused = /maps\[0\]\.ops\[0\]: reads 'x' through its input index map, not what the model's weighted factor 0 reads/;
    expect(() => decoded((ops) => (ops[0].input.steps = [{ shape: [64, 256], perm: [1, 0] }]))).toThrow(refused);
    expect(() => decoded((ops) => (ops[0].input.steps = [{ shape: [128, 128], perm: [1, 0] }, { shape: [2, 8192], perm: [1, 0] }]))).toThrow(refused);
  });
});
