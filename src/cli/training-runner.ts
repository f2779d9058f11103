/**
 * The runner `monc grad` and `monc train` drive: the map's MapRunner (webgpu or cpu, chosen and
 * announced as `monc run` does: webgpu says its adapter on stderr and falls back to the CPU
 * without one). Gradients, optimizer updates and saving are the runner's (backward,
 * createOptimizer, saveParams), on both backends; the commands add only the loss.
 */
import type { KernelOutputs } from '../compile-kernels.js';
import type { CheckedMap } from '../dsl/structure.js';
import type { Backend, MapRunner } from '../runtime/map-runner.js';
import { createRunner } from './commands/run.js';
import type { CompiledSpec } from './compile-spec.js';
import type { CommandContext } from './context.js';

export async function openTrainingRunner(ctx: CommandContext, spec: CompiledSpec<KernelOutputs>, map: CheckedMap, backend: Backend): Promise<MapRunner> {
  const manifestMap = spec.outputs.manifest.maps.find((m) => m.name === map.name)!;
  return createRunner(ctx, manifestMap, spec.outputs.wgsl, spec.module.dtype, backend);
}

/** Runs `use` on the runner and destroys it afterwards, whatever happens. */
export async function withRunner<T>(runner: MapRunner, use: (runner: MapRunner) => Promise<T>): Promise<T> {
  try {
    return await use(runner);
  } finally {
    runner.destroy();
  }
}
