/**
 * Regression (issue 13): `lowrank` 16 -> 2^24 at batch 17 failed with `Invalid Buffer "monc y"`
 * (the output buffer passed maxStorageBufferBindingSize). A batch whose buffers exceed the
 * device's limits now runs in chunks of rows that fit, through the pipelined round trip of
 * `monc/runtime/host-io` (Node's runtime loads it; a page without it is refused naming it:
 * test/runtime/host-io-entry.test.ts). Here on a device with WebGPU's default limit (128 MiB):
 * lowrank 16 -> 2^21 at batch 17 needs 136 MiB for Y.
 */
import { expect, it } from 'vitest';
import '../../src/runtime/host-io-entry.js';
import { checkSource } from '../../src/dsl/index.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { dawnProvider } from '../../src/runtime/node-device.js';
import { compileForTest } from '../support/compiled.js';
import { referenceApply } from '../support/reference.js';

it('a batch over the storage-binding limit runs in chunks and matches the float64 reference', async () => {
  const { module } = checkSource('module wide\nmap w : 16 -> 2^21 = lowrank(rank: 1)\n', 'wide.mon');
  const checked = module!.maps[0];
  const compiled = compileForTest(checked);
  const { adapter } = await dawnProvider.requestAdapter();
  const device = await adapter!.requestDevice(); // default limits: maxStorageBufferBindingSize = 128 MiB
  expect(device.limits.maxStorageBufferBindingSize).toBe(128 * 1024 * 1024);
  const runner = await MapRunner.create(compiled.map, compiled.wgsl, { device });
  try {
    const out = 2 ** 21;
    const batch = 17;
    const v = Float32Array.from({ length: 16 }, (_, i) => (i % 3) - 1);
    const u = Float32Array.from({ length: out }, (_, i) => ((i * 7) % 5) / 4 - 0.5);
    runner.loadParams(new Map([['w.U', u], ['w.V', v]]));
    const x = Float32Array.from({ length: batch * 16 }, (_, i) => ((i * 3) % 7) - 3);
    const y = await runner.forward(x, batch);
    const want = referenceApply(checked.structure, new Map([['w.U', u], ['w.V', v]]), x, batch);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(y[i] - want[i]));
    expect(worst).toBeLessThanOrEqual(1e-4); // small integers and quarters: exact in f32 up to rounding of the sums
  } finally {
    runner.destroy();
    device.destroy();
  }
});
