/**
 * Tuning backward kernels: every op of a backward program gets a checked and timed winner, keyed
 * in the tuning database like forward kernels; a build with that database bakes the winners into
 * the backward kernels, and the tuned build's gradients still match the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import { deviceTargetLimits } from '../../src/runtime/device.js';
import { compileBackward, compileMap } from '../../src/ir/pipeline.js';
import { emitModule } from '../../src/compile-kernels.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { adapterIdentity } from '../../src/tuner/adapter-identity.js';
import { emptyDb, kernelSignature, merge } from '../../src/tuner/db.js';
import { scheduleLookup } from '../../src/tuner/lookup.js';
import { tuneBackwardProgram } from '../../src/tuner/tune-backward.js';
import { checkedMap, monarch, randomParams, randomValues, rng, sum, bias } from '../ir/structures.js';
import { getTestMoncDevice } from '../support/gpu.js';
import { frobeniusError } from './support.js';
import { referenceBackward } from '../support/reference.js';

describe('tuneBackwardProgram', () => {
  it('tunes every backward op, and monc build --tuning uses the winners', async () => {
    const { device, adapter } = await getTestMoncDevice();
    const map = checkedMap('m', sum(monarch(16, 16, 4), bias(16)));
    const program = compileBackward(compileMap(map, 'f32'), { rowsPerSplit: 4 });
    const identity = adapterIdentity(adapter, device);
    const result = await tuneBackwardProgram(device, identity, program, { batch: 9, limits: deviceTargetLimits(device), maxCandidates: 2, repeats: 1 });
    // One search per distinct signature (the two reductions of one size share one); every op listed, a repeat as reused.
    const signatures = program.ops.map((op) => kernelSignature([op], 'f32'));
    expect(result.kernels.map((k) => [k.ops, k.signature, k.reused ?? false])).toEqual(signatures.map((sig, i) => [[i], sig, signatures.indexOf(sig) < i]));
    expect(signatures.some((sig, i) => signatures.indexOf(sig) < i)).toBe(true);
    for (const k of result.kernels) expect(k.rejected, `op ${k.ops[0]}`).toEqual([]);
    expect(result.entries).toHaveLength(new Set(signatures).size);

    const lookup = scheduleLookup(merge(emptyDb(), result.entries));
    const module = { name: 'test', file: 'test.mon', dtype: 'f32' as const, consts: {}, maps: [map] };
    const built = emitModule(module, [compileMap(map, 'f32')], { tuning: lookup, rowsPerSplit: 4 });
    const kernels = built.manifest.maps[0].backward!.kernels;
    // Every backward kernel takes the winner of its signature.
    program.ops.forEach((op, i) => {
      const winner = result.kernels.find((k) => k.signature === kernelSignature([op], 'f32'))!;
      expect(kernels[i].schedule).toEqual(winner.best!.schedule);
    });

    const runner = await MapRunner.create(built.manifest.maps[0], built.wgsl, { device });
    try {
      const random = rng(3);
      const params = new Map([...randomParams(map.structure, random)].map(([k, v]) => [k, Float32Array.from(v)]));
      runner.loadParams(params);
      const x = Float32Array.from(randomValues(random, 9 * 16));
      const dy = Float32Array.from(randomValues(random, 9 * 16));
      const got = await runner.backward(x, dy, 9);
      const want = referenceBackward(map.structure, params, x, dy, 9);
      expect(frobeniusError(got.dx, want.dx)).toBeLessThan(1e-5);
      for (const [name, g] of want.grads) expect(frobeniusError(got.grads.get(name)!, g), name).toBeLessThan(1e-5);
    } finally {
      runner.destroy();
    }
  });
});
