/**
 * The block-sparse kernels' pattern tables of a runner (pattern-buffers.ts patternTables): when
 * one cannot be made (over the device's storage buffer limit), the tables made before it are
 * freed, not left to garbage collection; and destroy() frees them all.
 */
import { expect, it } from 'vitest';
import { patternTables } from '../../src/runtime/pattern-buffers.js';
import { checkedMap, sparse, sum } from '../ir/structures.js';
import { compileForTest } from '../support/compiled.js';
import { countingDevice } from '../support/counting-device.js';

// Two sparse terms: two ops, each with its own table, of different sizes (2 and 12 blocks).
const few = sparse(16, 16, 4, 4, [[0, 0], [3, 3]]);
const many = sparse(16, 16, 4, 4, Array.from({ length: 12 }, (_, i) => [Math.floor(i / 4), i % 4] as const));
const { map } = compileForTest(checkedMap('s', sum(few, many)));

it('a table over the limit frees the ones made before it; destroy() frees every table', async () => {
  const { device, live } = await countingDevice();
  try {
    const tables = () => [...live.values()].filter((label) => label.startsWith('monc pattern ('));
    const kernels = map.kernels.filter((k) => k.pattern);
    const made = patternTables(device, map.name, kernels, map.ops);
    const sizes = kernels.map((_, i) => made.get(i).size);
    expect(new Set(sizes).size, 'two tables of different sizes').toBe(2);
    made.destroy();
    expect(tables()).toEqual([]);
    // The smaller table first; a limit between the two sizes refuses the larger, second one.
    const ordered = [...kernels].sort((a, b) => sizes[kernels.indexOf(a)] - sizes[kernels.indexOf(b)]);
    const limit = Math.min(...sizes);
    Object.defineProperty(device, 'limits', { value: { maxStorageBufferBindingSize: limit, maxBufferSize: limit } });
    // Naming the map, as every refusal of a runner's buffer does (REV29-2).
    expect(() => patternTables(device, map.name, ordered, map.ops)).toThrow(/^map 's': monc pattern \(kernel [^)]*\) needs \d+ bytes in one buffer, over this device's limit of \d+$/);
    expect(tables(), 'the smaller table, made first, was freed').toEqual([]);
  } finally {
    device.destroy();
  }
});
