/**
 * deviceTargetLimits(device), which the tuner's library calls take as `limits` (docs/files.md):
 * from JavaScript, anything but a GPUDevice (nothing, requestMoncDevice()'s object instead of
 * its .device, the adapter) is one MoncError of kind `user` naming what it takes and what it got,
 * not a TypeError (QA s11 A1). A device gives its own workgroup and storage limits and features.
 */
import { describe, expect, it } from 'vitest';
import { deviceTargetLimits } from '../../src/runtime/device.js';
import { getTestMoncDevice } from '../support/gpu.js';
import { expectMoncErrorNow } from '../support/user-error.js';

const limitsOf = deviceTargetLimits as (device: unknown) => ReturnType<typeof deviceTargetLimits>;
const TAKES = "deviceTargetLimits(device) takes a GPUDevice (requestMoncDevice()'s .device), got";

describe('deviceTargetLimits', () => {
  it('refuses what is not a GPUDevice, naming what it got', async () => {
    const monc = await getTestMoncDevice();
    for (const [value, got] of [
      [undefined, 'undefined'],
      [null, 'null'],
      [monc, 'Object'],
      [monc.adapter, 'GPUAdapter'],
      ['gpu', 'String'],
    ] as const) {
      expectMoncErrorNow(() => limitsOf(value), 'user', `${TAKES} ${got}`);
    }
  });

  it("gives a device's own limits and its features", async () => {
    const { device } = await getTestMoncDevice();
    const l = device.limits;
    expect(deviceTargetLimits(device)).toEqual({
      maxWorkgroupSize: Math.min(l.maxComputeInvocationsPerWorkgroup, l.maxComputeWorkgroupSizeX),
      maxWorkgroupStorageBytes: l.maxComputeWorkgroupStorageSize,
      features: [...device.features].sort(),
    });
  });
});
