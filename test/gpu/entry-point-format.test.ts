/**
 * QA2 s13 R20 (lower part): a manifest whose kernel names an entry point its WGSL lacks (edited by
 * hand, or damaged) failed at create() as a WgslError (kind `wgsl`, "a bug in monc"). It is a
 * format error naming the map and the entry point, for the forward kernels at create() and the
 * backward and optimizer kernels when the training half is made; WGSL the device rejects is still
 * kind `wgsl`.
 */
import { expect, it } from 'vitest';
import '../../src/runtime/training.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import type { ManifestMap } from '../../src/manifest/types.js';
import { bias, checkedMap, monarch, sum } from '../ir/structures.js';
import { getTestDevice } from '../support/gpu.js';
import { compileModuleForTest } from '../training/compile.js';

const compiled = compileModuleForTest(checkedMap('m', sum(monarch(12, 18, 3), bias(18))));
const map = compiled.manifest.maps[0];

/** The map with every kernel list's `from` entry point renamed `to` (the WGSL unchanged). */
function renamed(from: string, to: string): ManifestMap {
  return JSON.parse(JSON.stringify(map).replaceAll(`"entryPoint":"${from}"`, `"entryPoint":"${to}"`)) as ManifestMap;
}

it("an entry point the module's WGSL lacks is a format error naming the map and the entry point", async () => {
  const device = await getTestDevice();
  const first = map.kernels[0].entryPoint;
  expect(compiled.wgsl).toContain(`fn ${first}(`);
  for (const name of ['nope', `${first}x`, first.slice(0, -1)]) {
    const error = await MapRunner.create(renamed(first, name), compiled.wgsl, { backend: 'webgpu', device }).then(
      () => undefined,
      (e: unknown) => e as { kind?: string; message?: string },
    );
    expect(error?.kind, name).toBe('format');
    expect(error?.message).toBe(`map 'm': its WGSL has no entry point '${name}'`);
  }
  // The same map as built still runs.
  const runner = await MapRunner.create(map, compiled.wgsl, { backend: 'webgpu', device });
  runner.destroy();
});

it("a backward kernel's entry point the WGSL lacks: the same format error when the training half is made", async () => {
  const device = await getTestDevice();
  const backward = map.backward!.kernels[0].entryPoint;
  expect(compiled.wgsl).toContain(`fn ${backward}(`);
  const error = await MapRunner.create(renamed(backward, 'nope'), compiled.wgsl, { backend: 'webgpu', device, training: true }).then(
    () => undefined,
    (e: unknown) => e as { kind?: string; message?: string },
  );
  expect({ kind: error?.kind, message: error?.message }).toEqual({ kind: 'format', message: "map 'm': its WGSL has no entry point 'nope'" });
});

it('WGSL the device rejects stays kind wgsl', async () => {
  const device = await getTestDevice();
  const first = map.kernels[0].entryPoint;
  const broken = compiled.wgsl.replace(`fn ${first}(`, `fn ${first}(bad bad`);
  const error = await MapRunner.create(map, broken, { backend: 'webgpu', device }).then(
    () => undefined,
    (e: unknown) => e as { kind?: string },
  );
  expect(error?.kind).toBe('wgsl');
});
