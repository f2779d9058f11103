/**
 * The tuner runs block-sparse candidates with their pattern table bound (binding 5), as the
 * runtime does: every forward (bsr-direct, bsr-tiled) and backward (bsr-t-direct, wgrad-tiled)
 * candidate it tries on a pattern with rectangular blocks and an empty block row passes its
 * check against the float64 op reference; none is rejected. A kernel that read no table, or
 * the wrong one, would be (its output would not match).
 */
import { describe, expect, it } from 'vitest';
import { compileBackward, compileMap } from '../../src/ir/pipeline.js';
import { deviceTargetLimits } from '../../src/runtime/device.js';
import { adapterIdentity } from '../../src/tuner/adapter-identity.js';
import { tuneProgram } from '../../src/tuner/tune.js';
import { tuneBackwardProgram } from '../../src/tuner/tune-backward.js';
import { checkedMap, sparse } from '../ir/structures.js';
import { getTestMoncDevice } from '../support/gpu.js';

/** 5 x 4 blocks of 4 x 6 over a 20 x 24 matrix; block row 2 has none. */
const BLOCKS: [number, number][] = [[0, 0], [0, 3], [1, 1], [1, 2], [1, 3], [3, 0], [4, 2], [4, 3]];
const MAP = checkedMap('s', sparse(24, 20, 4, 6, BLOCKS));

describe('tuning block-sparse kernels', () => {
  it('checks every forward and backward candidate against the reference with the pattern bound', async () => {
    const { device, adapter } = await getTestMoncDevice();
    const identity = adapterIdentity(adapter, device);
    const options = { batch: 5, limits: deviceTargetLimits(device), maxCandidates: 2, repeats: 1 };
    const forward = compileMap(MAP, 'f32');
    const tuned = await tuneProgram(device, identity, forward, options);
    const backward = await tuneBackwardProgram(device, identity, compileBackward(forward, { rowsPerSplit: 2 }), options);
    const families = new Set<string>();
    for (const k of [...tuned.kernels, ...backward.kernels]) {
      expect(k.rejected, k.signature).toEqual([]);
      expect(k.best, k.signature).toBeDefined();
      families.add(String(k.best!.schedule.family));
    }
    // Both halves really ran pattern kernels: the forward op and the two backward ones that walk the pattern.
    expect([...families].filter((f) => f.startsWith('bsr-') && f !== 'bsr-t-direct')).not.toEqual([]);
    expect(families).toContain('bsr-t-direct');
    expect(families).toContain('wgrad-tiled');
  });
});
