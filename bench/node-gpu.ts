/**
 * The device the benchmarks and kernel tests use: the production one (requestMoncDevice through
 * Dawn, node-device.ts), so they measure what `monc tune`, `monc bench` and MapRunner get: every
 * optional feature the adapter has (subgroup matrices and shader-f16 on the H100 included), the
 * adapter's full limits, SwiftShader on machines without a GPU. Node-only.
 */
import '../src/runtime/node-device.js';
import { requestMoncDevice } from '../src/runtime/device.js';

export interface NodeGpu {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
}

let cached: Promise<NodeGpu> | undefined;

export function nodeGpu(): Promise<NodeGpu> {
  cached ??= requestMoncDevice({ powerPreference: 'high-performance' }).then(({ adapter, device }) => ({ adapter, device }));
  return cached;
}
