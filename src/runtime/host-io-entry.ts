/**
 * `monc/runtime/host-io`: importing it registers the host I/O for many batches with the runtime
 * (extensions.ts): `createStaging`'s stagings (host-io.ts), the pipelined round trip of
 * `forward(x, { chunkRows })` and a one-piece round trip's result read in pieces
 * (pipelined-forward.ts), and `dense()` (dense.ts). A page that only calls `forward(x)` or
 * `forward(x, { out })` does not import it, and does not bundle them; `monc/runtime/node`
 * imports it.
 */
import { registerHostIo } from './extensions.js';
import type { GpuExecutor, HeldParams } from './gpu-executor.js';
import { CpuStaging, GpuStaging, type GpuStagingDevice } from './host-io.js';
import { checkChunkRows, chunkRowsFor, PipelinedForward, readInPieces } from './pipelined-forward.js';
import { denseMatrix } from './dense.js';

/** How a staging on the executor's device records its forward pass between its copies (here, not in GpuExecutor: a page without this entry does not bundle it). */
function stagingDevice(gpu: GpuExecutor): GpuStagingDevice {
  return { device: gpu.device, storage: gpu.storage, maxRows: gpu.maxRows(), encode: (encoder, x, y, rows) => gpu.encode(encoder, x, y, rows) };
}

registerHostIo({
  staging: (host, capacity) => {
    host.requireParams();
    const staging = host.gpu ? new GpuStaging(host, capacity, stagingDevice(host.gpu)) : new CpuStaging(host, capacity, (x, rows) => host.runner.forward(x, rows));
    // Destroyed with the runner: its pending calls then reject as the runner's do.
    host.own({ destroy: () => staging.destroy(true) });
    return staging;
  },
  checkChunkRows,
  chunkRowsFor,
  readBack: readInPieces,
  dense: denseMatrix,
  pipeline: (gpu, map) => {
    // The parameters of the run whose chunks are being submitted (one run at a time: the ring's take and the executor's queue).
    let params: HeldParams | undefined;
    // The input was checked by the caller (MapRunner.forward); the ring's stagings need not check it again. Their
    // messages name the map, as every other call's do (QA2 s18 R71: they named map 'forward').
    return new PipelinedForward(
      { map: { name: map.name, in: map.in, out: map.out }, checkInput: () => undefined },
      { ...stagingDevice(gpu), encode: (encoder, x, y, rows) => gpu.encode(encoder, x, y, rows, params?.copy) },
      (held) => (params = held),
    );
  },
});
