/**
 * Runs a map on the page's WebGPU adapter and checks it against the float64 reference: the
 * relative Frobenius error, and the time per forward pass on the GPU (upload and readback
 * included, after one warm-up pass that compiles the pipelines) and on the CPU reference.
 */
import type { Dtype } from '../../../src/dsl/structure.js';
import type { ManifestMap } from '../../../src/manifest/types.js';
import { MapRunner } from '../../../src/runtime/map-runner.js';
// The CPU executor (`monc/runtime/cpu`): the runner falls back to it on a browser without WebGPU.
import '../../../src/runtime/cpu.js';
// Block-sparse maps (`monc/runtime/sparse`): the pattern tables of their kernels.
import '../../../src/runtime/sparse.js';
import { referenceApply, type ParamValues } from '../../../src/runtime/reference.js';
import { PRECISION_TOLERANCE } from '../../../src/util/precision.js';

export interface RunReport {
  readonly adapter: string;
  /** The kernel set the runner took ('cpu' on the CPU executor) and the storage it holds values in. */
  readonly kernelSet: string;
  readonly storage: Dtype;
  readonly batch: number;
  readonly relativeError: number;
  readonly gpuMs: number;
  readonly cpuMs: number;
}

/** Deterministic inputs in [-1, 1): the same batch on every run. */
function inputs(length: number): Float32Array {
  let state = 12345;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    diff += (got[i] - want[i]) ** 2;
    norm += want[i] ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}

export async function runAgainstReference(map: ManifestMap, wgsl: string, dtype: Dtype, params: ParamValues, batch: number, repeats = 3): Promise<RunReport> {
  const runner = await MapRunner.create(map, wgsl, { dtype });
  try {
    runner.loadParams(params);
    const x = inputs(batch * map.in);
    let y = await runner.forward(x, batch);
    const gpuStart = performance.now();
    for (let i = 0; i < repeats; i++) y = await runner.forward(x, batch);
    const gpuMs = (performance.now() - gpuStart) / repeats;
    const cpuStart = performance.now();
    const want = referenceApply(map.model, params, x, batch);
    const cpuMs = performance.now() - cpuStart;
    const set = runner.kernelSet;
    return { adapter: runner.adapterDescription, kernelSet: set?.name ?? 'cpu', storage: set?.storage ?? dtype, batch, relativeError: relativeError(y, want), gpuMs, cpuMs };
  } finally {
    runner.destroy();
  }
}

/**
 * Whether a run is as close to the float64 reference as monc promises for the storage it ran in
 * (SPEC §6: 1e-5 with f32 storage, 3e-3 with f16, as the CLI and tests judge): an f16 module on
 * an adapter with shader-f16 holds parameters and activations in f16 (~1e-4), on one without in
 * f32 (its f32-storage set).
 */
export function verdict(r: Pick<RunReport, 'relativeError' | 'storage'>): { readonly ok: boolean; readonly tolerance: number } {
  const tolerance = PRECISION_TOLERANCE[r.storage];
  return { ok: r.relativeError <= tolerance, tolerance };
}
