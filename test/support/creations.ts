/** Counting a device's buffer and bind-group creations: the host-path reuse tests' proof that nothing is created per call. */

/** Counts the device's buffer and bind-group creations while `body` runs. */
export async function countCreations(device: GPUDevice, body: () => Promise<void>): Promise<{ buffers: number; bindGroups: number }> {
  const counts = { buffers: 0, bindGroups: 0 };
  const createBuffer = device.createBuffer;
  const createBindGroup = device.createBindGroup;
  device.createBuffer = function (this: GPUDevice, d: GPUBufferDescriptor) {
    counts.buffers++;
    return createBuffer.call(this, d);
  };
  device.createBindGroup = function (this: GPUDevice, d: GPUBindGroupDescriptor) {
    counts.bindGroups++;
    return createBindGroup.call(this, d);
  };
  try {
    await body();
  } finally {
    device.createBuffer = createBuffer;
    device.createBindGroup = createBindGroup;
  }
  return counts;
}
