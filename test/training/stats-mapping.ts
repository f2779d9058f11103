/**
 * Runs `act` right after a fit on `device` starts mapping its stats read-back buffer (GpuFitMse.readStats): what a fit
 * meets while it waits for its steps (a device lost, the runner destroyed) lands exactly there.
 */
export function whenStatsMapped(device: GPUDevice, act: () => void): void {
  const createBuffer = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const buffer = createBuffer(descriptor);
    if (descriptor.label === 'monc fit stats read-back') {
      const mapAsync = buffer.mapAsync.bind(buffer);
      buffer.mapAsync = (...args: Parameters<GPUBuffer['mapAsync']>) => {
        const mapping = mapAsync(...args);
        act();
        return mapping;
      };
    }
    return buffer;
  };
}
