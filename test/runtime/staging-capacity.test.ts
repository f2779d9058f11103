/**
 * A staging whose capacity the host cannot hold (the cpu backend's arrays) is a MoncError of kind
 * device, as a GpuStaging over the device's buffer limits is, not the allocation's RangeError.
 */
import { expect, it } from 'vitest';
import '../../src/runtime/cpu.js';
import '../../src/runtime/host-io-entry.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { checkedMap, dense } from '../ir/structures.js';
import { expectMoncError } from '../support/user-error.js';
import { compileModuleForTest } from '../training/compile.js';

it('cpu: createStaging of 2^40 rows is kind device; of 3 rows it runs', async () => {
  const compiled = compileModuleForTest(checkedMap('m', dense(8, 4)));
  const runner = await MapRunner.create(compiled.manifest.maps[0], compiled.wgsl, { backend: 'cpu' });
  try {
    runner.loadParams({ 'm.weight': new Float32Array(32).fill(1) });
    await expectMoncError(() => runner.createStaging(2 ** 40), 'device', "map 'm': a staging of 1099511627776 rows: RangeError: ");
    const staging = runner.createStaging(3);
    (await staging.input(3)).fill(0.5);
    expect([...(await staging.run())]).toEqual(new Array(12).fill(4));
  } finally {
    runner.destroy();
  }
});
