/**
 * The backward tuner checks every candidate of an op that accumulates into its destination (the
 * input gradient of a sum, the gradient of a tensor a map uses twice) from the same initial
 * destination as the reference: none is rejected. The destination was not put back between
 * candidates, so candidate k saw k earlier results added and was rejected with a relative error
 * of about k × 0.7, although it was right; only the first candidate could ever be kept.
 */
import { describe, expect, it } from 'vitest';
import { compileBackward, compileModuleIr } from '../../src/ir/pipeline.js';
import { checkSource } from '../../src/dsl/index.js';
import { deviceTargetLimits } from '../../src/runtime/device.js';
import { adapterIdentity } from '../../src/tuner/adapter-identity.js';
import { kernelSignature } from '../../src/tuner/db.js';
import { tuneBackwardProgram } from '../../src/tuner/tune-backward.js';
import { getTestMoncDevice } from '../support/gpu.js';

const SOURCE = `map s : 32 -> 32 = sparse(block: 4, pattern: band(width: 2)) + lowrank(rank: 3)
map t : 16 -> 16 = lowrank(rank: 2)
map u : 16 -> 16 = t @ t
`;

describe('tuning backward ops that accumulate', () => {
  it.each(['s', 'u'])('%s: every candidate of each accumulating op passes its check', async (name) => {
    const { device, adapter } = await getTestMoncDevice();
    const { module } = checkSource(SOURCE, 'acc.mon');
    const forward = compileModuleIr(module!).find((p) => p.name === name)!;
    const backward = compileBackward(forward, { rowsPerSplit: 2 });
    // Only the accumulating ops are tuned: the others' signatures count as tuned already (known, with no result), listed as reused.
    const accumulating = backward.ops.filter((op) => 'accumulate' in op && op.accumulate);
    expect(accumulating.length).toBeGreaterThan(0);
    const others = backward.ops.filter((op) => !accumulating.includes(op)).map((op) => kernelSignature([op], 'f32'));
    const tuned = await tuneBackwardProgram(device, adapterIdentity(adapter, device), backward, {
      batch: 4,
      limits: deviceTargetLimits(device),
      maxCandidates: 3,
      repeats: 1,
      known: new Map(others.filter((sig) => !accumulating.some((op) => kernelSignature([op], 'f32') === sig)).map((sig) => [sig, {}])),
    });
    const searched = tuned.kernels.filter((k) => !k.reused);
    expect(searched.length).toBeGreaterThan(0);
    for (const k of searched) {
      expect(k.rejected, `ops ${k.ops.join()}`).toEqual([]);
      expect(k.timed, `ops ${k.ops.join()}`).toBeGreaterThan(1); // several candidates, each checked
    }
  });
});
