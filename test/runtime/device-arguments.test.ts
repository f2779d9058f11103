/**
 * The device helpers the package exports, called from JavaScript with arguments of the wrong
 * kind: one MoncError of kind `user` naming what they take and what they got, not a TypeError.
 * deviceTargetLimits(device), which the tuner's library calls take as `limits` (docs/files.md;
 * QA s11 A1): anything but a GPUDevice (nothing, requestMoncDevice()'s object instead of its
 * .device, the adapter). requestMoncDevice(options) (docs/files.md), as monc/runtime exports it:
 * options not an object, an adapter that is not a GPUAdapter (the device), an unknown power
 * preference (a TypeError of Dawn's before). What they accept still works.
 */
import { describe, expect, it } from 'vitest';
import { deviceTargetLimits } from '../../src/runtime/device.js';
import { requestMoncDevice } from '../../src/runtime/index.js';
import { dawnProvider } from '../../src/runtime/node.js';
import { getTestMoncDevice } from '../support/gpu.js';
import { expectMoncError, expectMoncErrorNow } from '../support/user-error.js';

const limitsOf = deviceTargetLimits as (device: unknown) => ReturnType<typeof deviceTargetLimits>;
const TAKES = "deviceTargetLimits(device) takes a GPUDevice (requestMoncDevice()'s .device), got";

describe('deviceTargetLimits', () => {
  it('refuses what is not a GPUDevice, naming what it got', async () => {
    const monc = await getTestMoncDevice();
    for (const [value, got] of [
      [undefined, 'undefined'],
      [null, 'null'],
      [monc, 'object'],
      [monc.adapter, 'GPUAdapter'],
      ['gpu', 'string'],
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

describe('requestMoncDevice (as monc/runtime exports it)', () => {
  const request = requestMoncDevice as (options?: unknown) => ReturnType<typeof requestMoncDevice>;

  it('refuses options of the wrong kind, naming the option', async () => {
    const { device, adapter } = await getTestMoncDevice();
    // Shown as every runner refusal shows a value; an Array or a Map is no options object (QA2 s31 Q1055: 'got string').
    const takes = 'requestMoncDevice: options must be an object ({ adapter, powerPreference }), got';
    for (const [bad, got] of [['high-performance', "'high-performance' (a string)"], ['a\nb', "'a\\nb' (a string)"], [5n, "'5' (a bigint)"], [[], 'Array'], [new Map(), 'Map']] as const) {
      await expectMoncError(() => request(bad), 'user', `${takes} ${got}`);
    }
    await expectMoncError(() => request({ adapter: device }), 'user', 'requestMoncDevice: adapter must be a GPUAdapter, got GPUDevice');
    await expectMoncError(() => request({ adapter: {} }), 'user', 'requestMoncDevice: adapter must be a GPUAdapter, got object');
    await expectMoncError(() => request({ adapter: 5 }), 'user', 'requestMoncDevice: adapter must be a GPUAdapter, got number');
    await expectMoncError(() => request({ adapter, powerPreference: 'fast' }), 'user', "requestMoncDevice: powerPreference must be 'low-power' or 'high-performance', got 'fast'");
    await expectMoncError(() => request({ powerPreference: 1 }), 'user', "requestMoncDevice: powerPreference must be 'low-power' or 'high-performance', got number");
  });

  it('takes an adapter (one not used before: an adapter makes one device), a power preference, null or no options', async () => {
    const fresh = async () => (await dawnProvider.requestAdapter()).adapter!;
    for (const options of [{ adapter: await fresh() }, { adapter: await fresh(), powerPreference: 'high-performance' }, { powerPreference: 'low-power' }, null, undefined]) {
      const got = await request(options);
      try {
        expect(got.device.limits.maxBufferSize).toBeGreaterThan(0);
        expect(deviceTargetLimits(got.device).features).toEqual(got.features);
      } finally {
        got.device.destroy();
      }
    }
  });

  // QA2 s22 Q158: a DOMException of Dawn's whose message went on with a line of Dawn's build path.
  it('an adapter that made a device already: one line of kind device that says to request a new one', async () => {
    const first = await request({ adapter: (await dawnProvider.requestAdapter()).adapter! });
    try {
      const error = await request({ adapter: first.adapter }).then(() => undefined, (e: unknown) => e);
      expect(error).toMatchObject({ name: 'MoncError', kind: 'device' });
      expect((error as Error).message).toMatch(/^requestMoncDevice: the adapter gave no device \([^\n]*consumed[^\n]*\); a GPUAdapter gives one device: request a new adapter, or leave adapter out$/);
    } finally {
      first.device.destroy();
    }
  });
});
