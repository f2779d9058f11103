/**
 * The shader modules of the training half's kernels (backward, optimizer updates, training step),
 * each its kernel's own (module-groups.ts), made before their pipelines, which are made
 * synchronously. Here, not in PipelineCache: a page that only runs forward passes bundles none of it.
 */
import { kernelModuleWgsl } from './module-groups.js';
import type { PipelineCache } from './pipeline-cache.js';

/** Compiled shader modules by the entry point of the kernel each holds. */
export type KernelModules = ReadonlyMap<string, GPUShaderModule>;

/** The shader module of each of `entryPoints` in `wgsl`, holding its kernel alone, compiled once per device (`cache`). */
export async function kernelModules(cache: PipelineCache, wgsl: string, entryPoints: readonly string[]): Promise<KernelModules> {
  const kernelWgsl = kernelModuleWgsl(wgsl);
  return new Map(await Promise.all(entryPoints.map(async (entryPoint) => [entryPoint, await cache.shaderModule(kernelWgsl(entryPoint))] as const)));
}

/** The module holding `entryPoint`, one of those `modules` was compiled for. */
export function moduleOf(modules: KernelModules, entryPoint: string): GPUShaderModule {
  const module = modules.get(entryPoint);
  if (!module) throw new Error(`internal error: no shader module was compiled for entry point '${entryPoint}'`);
  return module;
}
