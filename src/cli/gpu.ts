/**
 * The WebGPU device `monc tune` and `monc bench` measure on (Dawn), with what the tuner needs to
 * know about it. There is no CPU fallback for a measurement: no adapter is a user error.
 */
import type { TargetLimits } from '../codegen/wgsl/kernel.js';
import { deviceTargetLimits, NoAdapterError, requestMoncDevice, type MoncDevice } from '../runtime/device.js';
import { adapterIdentity, type AdapterIdentity } from '../tuner/adapter-identity.js';
import { MoncError } from '../util/error.js';
import { note, type CommandContext } from './context.js';

export interface CommandGpu extends MoncDevice {
  readonly identity: AdapterIdentity;
  /** What kernels for this device may use. */
  readonly limits: TargetLimits;
}

/** A device of its own (the caller destroys it); says on stderr which adapter it is. */
export async function openGpu(ctx: CommandContext, command: string): Promise<CommandGpu> {
  await import('../runtime/node-device.js'); // registers Dawn
  let gpu: MoncDevice;
  try {
    gpu = await requestMoncDevice({ powerPreference: 'high-performance' });
  } catch (e) {
    if (e instanceof NoAdapterError) throw new MoncError('device', `${e.message}; monc ${command} measures on a GPU and cannot run without one`);
    throw e;
  }
  note(ctx, `webgpu adapter: ${gpu.adapterDescription}${gpu.note ? ` (${gpu.note})` : ''}`);
  return { ...gpu, identity: adapterIdentity(gpu.adapter, gpu.device), limits: deviceTargetLimits(gpu.device) };
}
