/**
 * Block-sparse support is opt-in (`monc/runtime/sparse`), like training and the CPU executor:
 * this file imports the browser-safe runtime and Dawn only, so decoding a manifest file with
 * block-sparse maps and creating a webgpu runner of one (its kernels' pattern tables) reject with
 * a one-line user error naming the import, while a module without such maps decodes and runs.
 * Once the file imports the entry, the same manifest decodes to the compiler's lists and its
 * runners match the float64 reference. (The generated bindings of such a module bring the support
 * themselves: test/package/runtime-bundle.test.ts runs one bundled with no import.)
 */
import { describe, expect, it } from 'vitest';
import '../../src/runtime/node-device.js';
import { compileModule } from '../../src/compile.js';
import { paramsOf } from '../../src/dsl/params.js';
import { initParams } from '../../src/runtime/init.js';
import { decodeManifest, MapRunner, MoncError, requestMoncDevice, type Manifest } from '../../src/runtime/index.js';
import { relativeError } from '../support/programs.js';
import { referenceApply } from '../support/reference.js';
import { userErrorOf } from '../support/user-error.js';

/** Rectangular blocks, a random pattern, a bias; and a map without blocks. */
const SPEC = `module blocks
map scattered : 30 -> 12 = sparse(block: [4, 6], pattern: random(density: 0.5, seed: 9)) + bias()
map low : 12 -> 10 = lowrank(rank: 2)
`;
const compiled = compileModule(SPEC, 'blocks.mon');
const outputs = compiled.outputs!;
const MISSING = "needs monc/runtime/sparse: add import 'monc/runtime/sparse'; to the page once";
/** f32 on the device against float64 (SPEC §6). */
const TOLERANCE = 1e-5;

/** Map `index` of `manifest` run on webgpu against the float64 reference, batch 1 and 4. */
async function expectRunsLikeReference(manifest: Manifest, index: number): Promise<void> {
  const checked = compiled.module!.maps[index];
  const { device } = await requestMoncDevice();
  const runner = await MapRunner.create(manifest.maps[index], outputs.wgsl, { backend: 'webgpu', device });
  try {
    const tensors = initParams(paramsOf(checked.structure), 3 + index);
    runner.loadParams(tensors);
    for (const batch of [1, 4]) {
      const x = Float32Array.from({ length: batch * checked.in }, (_, i) => Math.cos(3 * i + index));
      expect(relativeError(await runner.forward(x, batch), referenceApply(checked.structure, tensors, x, batch)), `${checked.name}, batch ${batch}`).toBeLessThanOrEqual(TOLERANCE);
    }
  } finally {
    runner.destroy();
  }
}

describe('without monc/runtime/sparse', () => {
  it("decodeManifest refuses a file with block-sparse maps, naming the import; a file without them decodes", async () => {
    const error = await userErrorOf(() => decodeManifest(JSON.parse(outputs.manifestJson)));
    expect(error.message).toBe(
      `decoding the block-sparse maps of the manifest of module 'blocks' ${MISSING} (in Node, import 'monc/runtime/node' loads it)`,
    );
    const dense = compileModule(`module d\nmap low : 12 -> 10 = lowrank(rank: 2)\n`, 'd.mon').outputs!;
    expect(decodeManifest(JSON.parse(dense.manifestJson)).maps[0].name).toBe('low');
    // The format check stays for every module.
    const { patterns: _, ...noTable } = JSON.parse(dense.manifestJson) as Record<string, unknown>;
    const formatError = (() => {
      try {
        decodeManifest(noTable);
      } catch (e) {
        return e;
      }
    })();
    expect(formatError).toBeInstanceOf(MoncError);
    expect(formatError).toMatchObject({ kind: 'format', message: "the manifest of module 'd' has no 'patterns' table" });
  });

  it("a webgpu runner of a block-sparse map (in memory) is refused, naming the import; the module's other map runs", async () => {
    const { device } = await requestMoncDevice();
    const error = await userErrorOf(() => MapRunner.create(compiled.outputs!.manifest.maps[0], outputs.wgsl, { backend: 'webgpu', device }));
    expect(error.message).toContain(MISSING);
    expect(error.message).toMatch(/^the pattern table of block-sparse kernel \S+ needs /);
    await expectRunsLikeReference(outputs.manifest, 1);
  });
});

describe("with import 'monc/runtime/sparse'", () => {
  it('decodeManifest gives the compiler’s block lists, and the block-sparse map runs like the float64 reference', async () => {
    await import('../../src/runtime/sparse.js');
    const manifest = decodeManifest(JSON.parse(outputs.manifestJson));
    expect(manifest.maps[0].ops).toEqual(outputs.manifest.maps[0].ops);
    await expectRunsLikeReference(manifest, 0);
  });
});
