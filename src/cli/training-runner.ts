/**
 * The runner `monc grad` and `monc train` drive: the map's MapRunner (webgpu or cpu, chosen and
 * announced as `monc run` does: webgpu says its adapter on stderr and falls back to the CPU
 * without one). Gradients, optimizer updates and saving are the runner's (backward,
 * createOptimizer, fitMse, saveParams), on both backends.
 */
import type { ManifestMap } from '../manifest/types.js';
import type { KernelOutputs } from '../compile-kernels.js';
import type { CheckedMap } from '../dsl/structure.js';
import type { Backend, MapRunner } from '../runtime/map-runner.js';
import { createRunner } from './commands/run.js';
import type { CompiledSpec } from './compile-spec.js';
import type { CommandContext } from './context.js';

export async function openTrainingRunner(ctx: CommandContext, spec: CompiledSpec<KernelOutputs>, map: CheckedMap, backend: Backend): Promise<MapRunner> {
  return createRunner(ctx, manifestMapOf(spec, map), spec.outputs.wgsl, spec.module.dtype, backend);
}

/** The manifest entry of a map of the compiled spec (its program, parameter layout, kernels). */
export function manifestMapOf(spec: CompiledSpec<KernelOutputs>, map: CheckedMap): ManifestMap {
  const found = spec.outputs.manifest.maps.find((m) => m.name === map.name);
  if (!found) throw new Error(`internal error: map '${map.name}' is not in the compiled manifest`);
  return found;
}

/** Runs `use` on the runner and destroys it afterwards, whatever happens. */
export async function withRunner<T>(runner: MapRunner, use: (runner: MapRunner) => Promise<T>): Promise<T> {
  try {
    return await use(runner);
  } finally {
    runner.destroy();
  }
}
