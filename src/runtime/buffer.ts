/**
 * Every buffer the runtime creates, in one call shape, labelled `monc <label>` (what WebGPU's
 * error messages and debugging tools show): one short call instead of the descriptor written
 * out at each site keeps every page's bundle smaller.
 */
export function createBuffer(device: GPUDevice, label: string, size: number, usage: GPUBufferUsageFlags, mappedAtCreation = false): GPUBuffer {
  return device.createBuffer({ label: `monc ${label}`, size, usage, mappedAtCreation });
}
