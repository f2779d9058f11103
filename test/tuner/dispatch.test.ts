/**
 * The tuner dispatches a kernel in isolation exactly as the runtime does: the (x, y) workgroup
 * grid follows the device's maxComputeWorkgroupsPerDimension (runtime/dispatch-dims.ts), not a
 * constant. A device whose limit is lowered to 4 makes a dispatch of more than 4 workgroups
 * spill into y; the kernel (in the families' shell, which reads its linear index as
 * wg.x + wg.y * num_workgroups.x) must still cover every item, checked against the float64 op
 * reference.
 */
import { describe, expect, it } from 'vitest';
import { workgroupCount } from '../../src/codegen/wgsl/kernel.js';
import { KernelCheck } from '../../src/tuner/kernel-check.js';
import { denseKernel, denseLayout, denseOp } from '../support/dense-kernel.js';
import { getTestDevice } from '../support/gpu.js';

/** `device` with maxComputeWorkgroupsPerDimension reported as `max`; everything else is the device's own. */
function withGridLimit(device: GPUDevice, max: number): GPUDevice {
  const limits = new Proxy(device.limits, {
    get: (t, k) => (k === 'maxComputeWorkgroupsPerDimension' ? max : Reflect.get(t, k, t)),
  });
  return new Proxy(device, {
    get(t, k) {
      if (k === 'limits') return limits;
      const v = Reflect.get(t, k, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}

describe('tuner dispatch grid', () => {
  it.each([
    [4, 5, 3, 7],
    [2, 12, 9, 1],
    [3, 6, 7, 2],
  ])('grid limit %i: a %i -> %i dense kernel at batch %i covers every item', async (max, n, m, batch) => {
    const device = withGridLimit(await getTestDevice(), max);
    const check = KernelCheck.create(device, {
      ops: [denseOp(n, m)],
      layout: denseLayout(n, m),
      paramSize: m * n,
      storage: 'f32',
      batch,
    });
    try {
      const kernel = denseKernel(n, m);
      const groups = workgroupCount(kernel.dispatch, batch);
      expect(groups).toBeGreaterThan(max); // the case must need a second row of workgroups
      const { workgroups } = await check.prepare(kernel);
      expect(workgroups).toEqual([max, Math.ceil(groups / max)]);
      expect(await check.check(kernel)).toBeLessThan(1e-6);
    } finally {
      check.destroy();
    }
  });
});
