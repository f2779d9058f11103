/**
 * `monc/runtime/host-io`: importing it registers the host I/O for many batches with the runtime
 * (extensions.ts): `createStaging`'s stagings (host-io.ts) and the pipelined round trip of
 * `forward(x, { chunkRows })` (pipelined-forward.ts). A page that only calls `forward(x)` or
 * `forward(x, { out })` does not import it, and does not bundle them; `monc/runtime/node`
 * imports it.
 */
import { registerHostIo } from './extensions.js';
import { CpuStaging, GpuStaging } from './host-io.js';
import { chunkRowsFor, PipelinedForward } from './pipelined-forward.js';

registerHostIo({
  gpuStaging: (host, capacity, gpu) => new GpuStaging(host, capacity, gpu),
  cpuStaging: (host, capacity, apply) => new CpuStaging(host, capacity, apply),
  chunkRowsFor,
  pipeline: (host, gpu) => new PipelinedForward(host, gpu),
});
