import { describe, expect, it } from 'vitest';
import { describeAdapter, requestMoncDevice } from '../../src/runtime/device.js';
import { dawnProvider, swiftShaderPlan } from '../../src/runtime/node-device.js';
import { getTestMoncDevice } from '../support/gpu.js';

describe('requestMoncDevice (Dawn)', () => {
  it('enables the optional features the adapter has and its full limits', async () => {
    const { adapter } = await dawnProvider.requestAdapter();
    expect(adapter).not.toBeNull();
    const d = await requestMoncDevice({ adapter: adapter! });
    try {
      for (const f of ['shader-f16', 'subgroups', 'timestamp-query', 'chromium-experimental-subgroup-matrix']) expect(d.device.features.has(f), f).toBe(adapter!.features.has(f));
      expect(d.features).toEqual([...d.device.features].sort());
      for (const limit of ['maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup'] as const) {
        expect(d.device.limits[limit], limit).toBe(adapter!.limits[limit]);
      }
      expect(d.adapterDescription).toBe(describeAdapter(adapter!.info));
    } finally {
      d.device.destroy();
    }
  });

  it('describes the test adapter in one line', async () => {
    const { adapterDescription } = await getTestMoncDevice();
    expect(adapterDescription).toMatch(/^\S.*\S$/);
    expect(adapterDescription).not.toContain('\n');
  });
});

describe('swiftShaderPlan', () => {
  const linux = { platform: 'linux', icdFilenames: undefined, systemIcdInstalled: false, swiftShaderInstalled: true };
  it('uses SwiftShader up front without system drivers, as a retry with them', () => {
    expect(swiftShaderPlan(linux)).toBe('first');
    expect(swiftShaderPlan({ ...linux, systemIcdInstalled: true })).toBe('retry');
  });
  it('never overrides the user, other platforms, or a missing SwiftShader', () => {
    expect(swiftShaderPlan({ ...linux, icdFilenames: '/my/icd.json' })).toBe('never');
    expect(swiftShaderPlan({ ...linux, platform: 'darwin' })).toBe('never');
    expect(swiftShaderPlan({ ...linux, swiftShaderInstalled: false })).toBe('never');
  });
});
