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
});
