/**
 * A map of a 12-map module runs on WebGPU (SwiftShader) through its kernels' own modules, each the
 * header and one kernel of the module's WGSL (runtime/module-groups.ts): every other map's groups
 * are made invalid WGSL, which a runner compiling the whole text would reject, and the map's
 * forward pass, backward pass and fitMse still match the float64 reference (tied maps, and a chain
 * using other maps' parameters).
 */
import { describe, expect, it } from 'vitest';
import { compileKernels } from '../../src/compile-kernels.js';
import { groupMarker, KERNEL_MARKER } from '../../src/manifest/wgsl-groups.js';
import { MapRunner } from '../../src/runtime/node.js';
import { randomParams, randomValues, rng } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { referenceApply, referenceBackward } from '../support/reference.js';
import { frobeniusError } from '../training/support.js';

const SOURCE = `module many
map a : 12 -> 12 = monarch(nblocks: 2) + bias()
map b : 12 -> 18 = lowrank(rank: 3)
map c : 18 -> 12 = blockdiag(nblocks: 3) @ transpose(3, 6) @ blockdiag(nblocks: 6)
map d : 12 -> 12 = dense()
map e : 12 -> 12 = a @ transpose(3, 4) @ a + bias()
map f : 12 -> 12 = c @ b + d
map g : 20 -> 20 = sparse(block: [4, 5], pattern: band(width: 2)) + diag()
map h : 12 -> 12 = e @ a
map i : 7 -> 5 = dense() + bias()
map j : 16 -> 16 = butterfly()
map k : 12 -> 12 = f + e + diag()
map l : 16 -> 16 = j @ j
`;

/** Invalid WGSL in every group of the module but `keep`'s own and the shared ones. */
function breakOtherMaps(wgsl: string, mapNames: readonly string[], keep: string): string {
  let out = wgsl;
  for (const name of mapNames.filter((n) => n !== keep)) {
    for (const group of [name, `${name} (backward)`]) out = out.replace(`\n\n${groupMarker(group)}\n`, `\n\n${groupMarker(group)}\nfn not_wgsl( {\n`);
  }
  return out;
}

describe('one map of a 12-map module, its other maps broken', () => {
  const built = compileKernels(SOURCE, 'many.mon');

  it.each(['e', 'f', 'k', 'l'])('%s: forward, backward and fitMse within f32 of the float64 reference', async (name) => {
    expect(built.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const { manifest, wgsl } = built.outputs!;
    const map = manifest.maps.find((m) => m.name === name)!;
    const checked = built.module!.maps.find((m) => m.name === name)!;
    const broken = breakOtherMaps(wgsl, manifest.maps.map((m) => m.name), name);
    expect(broken.length).toBeGreaterThan(wgsl.length);
    const random = rng(name.charCodeAt(0));
    const params = new Map([...randomParams(checked.structure, random)].map(([k, v]) => [k, Float32Array.from(v)]));
    const device = await getTestDevice();
    const runner = await MapRunner.create(map, broken, { device, training: true });
    const cpu = await MapRunner.create(map, broken, { backend: 'cpu' });
    try {
      runner.loadParams(params);
      cpu.loadParams(params);
      for (const batch of [1, 5]) {
        const x = Float32Array.from(randomValues(random, batch * map.in));
        const dy = Float32Array.from(randomValues(random, batch * map.out));
        expect(frobeniusError(await runner.forward(x, batch), referenceApply(checked.structure, params, x, batch)), `forward, batch ${batch}`).toBeLessThan(1e-5);
        const want = referenceBackward(checked.structure, params, x, dy, batch);
        const got = await runner.backward(x, dy, batch);
        expect(frobeniusError(got.dx, want.dx), `dx, batch ${batch}`).toBeLessThan(1e-5);
        for (const [tensor, g] of want.grads) expect(frobeniusError(got.grads.get(tensor)!, g), `${tensor}, batch ${batch}`).toBeLessThan(1e-5);
      }
      // fitMse on the device against the cpu backend's (the float64 host loop), from the same parameters.
      const rows = 24;
      const x = Float32Array.from(randomValues(random, rows * map.in));
      const target = Float32Array.from(randomValues(random, rows * map.out));
      const options = { steps: 5, batch: 7, seed: 1, optimizer: { kind: 'adam', lr: 0.01 } } as const;
      const [onDevice, onCpu] = [await runner.fitMse(x, target, options), await cpu.fitMse(x, target, options)];
      expect(Math.abs(onDevice.loss - onCpu.loss) / onCpu.loss).toBeLessThan(1e-4);
      const [got, want] = [await runner.params(), await cpu.params()];
      for (const [tensor, values] of want) {
        expect(frobeniusError(got.get(tensor)!, values), tensor).toBeLessThan(1e-4);
        expect(frobeniusError(params.get(tensor)!, values), `${tensor} moved`).toBeGreaterThan(1e-4);
      }
    } finally {
      runner.destroy();
      cpu.destroy();
    }
  });

  it('the whole broken text does not compile: the runner above compiled only its kernels', async () => {
    const { manifest, wgsl } = built.outputs!;
    const broken = breakOtherMaps(wgsl, manifest.maps.map((m) => m.name), 'e');
    const device = await getTestDevice();
    // Without its kernel markers (as an older monc wrote it) the text is compiled whole.
    await expect(MapRunner.create(manifest.maps.find((m) => m.name === 'e')!, broken.replaceAll(KERNEL_MARKER, '// '), { device })).rejects.toThrow(/WGSL/);
  });
});
