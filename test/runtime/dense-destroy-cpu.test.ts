/**
 * dense() on the CPU backend with destroy() right after the call (runtime.md, destroy()): its first pass runs during the
 * call, so where one pass computes M it resolves with M, as a forward does; where it takes more (in × max(in, out) over
 * 2^22 entries), its next pass comes after destroy() and it rejects (QA2 s27 Q652: runtime.md said dense() rejected).
 */
import { expect, it } from 'vitest';
import '../../src/runtime/cpu.js';
import '../../src/runtime/host-io-entry.js';
import { compileModule } from '../../src/compile.js';
import { initParams } from '../../src/runtime/init.js';
import { MapRunner } from '../../src/runtime/map-runner.js';

const compiled = compileModule('module dz\nmap a : 8 -> 8 = dense()\nmap b : 1024 -> 1024 = monarch(nblocks: 32) + bias()\nmap c : 8192 -> 16 = lowrank(rank: 4)\n', 'dz.mon', { forwardOnly: true }).outputs!;

async function denseThenDestroy(index: number): Promise<Float32Array> {
  const map = compiled.manifest.maps[index];
  const runner = await MapRunner.create(map, compiled.wgsl, { backend: 'cpu' });
  runner.loadParams(Object.fromEntries(initParams(map.model!.params, 3)));
  const dense = runner.dense();
  runner.destroy();
  return dense;
}

it('dense() resolves where one pass computes M, and rejects where its next pass comes after destroy()', async () => {
  expect((await denseThenDestroy(0)).length).toBe(64);
  expect((await denseThenDestroy(1)).length).toBe(1024 * 1024);
  await expect(denseThenDestroy(2)).rejects.toMatchObject({ name: 'MoncError', kind: 'user', message: "map 'c': the runner was destroyed" });
});
