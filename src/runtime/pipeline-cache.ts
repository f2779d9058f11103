/**
 * Shader modules and compute pipelines, cached per device by WGSL text and entry point. Every
 * monc kernel uses the same explicit bind group layout (wgsl/kernel.ts contract), so a kernel
 * that does not read one of its bindings (a bias kernel's `src`) still binds it.
 */
import { MoncError } from '../util/error.js';
import { oneLine } from '../util/json.js';
import { createLayout, kernelBindingTypes } from './bind-layout.js';
import { memo } from './memo.js';

/** A WGSL module or pipeline the device rejected, with the compiler's messages: a bug in monc's kernels. */
export class WgslError extends MoncError {
  override readonly name = 'WgslError';
  constructor(message: string) {
    super('wgsl', message);
  }
}

const caches = new WeakMap<GPUDevice, PipelineCache>();

export class PipelineCache {
  // The public fields are `declare`d and set by the constructor: a field declaration in every page adds nothing.
  declare readonly bindGroupLayout: GPUBindGroupLayout;
  /** The pipeline layout of every monc kernel (one bind group, `bindGroupLayout`). */
  declare readonly layout: GPUPipelineLayout;
  // #-private: a minifier shortens these names (every page bundles this class).
  readonly #modules = new Map<string, Promise<GPUShaderModule>>();
  // Keyed by text, then entry point: a key joining the two would copy the module's whole text once per kernel (a map of
  // hundreds of kernels ran out of memory so).
  readonly #pipelines = new Map<string, Map<string, Promise<GPUComputePipeline>>>();

  readonly #device: GPUDevice;

  private constructor(device: GPUDevice) {
    this.#device = device;
    ({ group: this.bindGroupLayout, pipeline: this.layout } = createLayout(device, 'monc kernel', kernelBindingTypes(false)));
  }

  /** The cache of a device (created on first use). */
  static for(device: GPUDevice): PipelineCache {
    return memo(caches, device, () => new PipelineCache(device));
  }

  /** The compute pipeline of `entryPoint` in `wgsl`; rejects with a WgslError on invalid WGSL. */
  pipeline(wgsl: string, entryPoint: string): Promise<GPUComputePipeline> {
    return settledOnce(memo(this.#pipelines, wgsl, () => new Map()), entryPoint, () =>
      this.shaderModule(wgsl).then((module) =>
        this.#device
          .createComputePipelineAsync({ label: entryPoint, layout: this.layout, compute: { module, entryPoint } })
          .catch((e: unknown) => {
            throw new WgslError(`cannot create the pipeline for entry point '${entryPoint}': ${oneLine(e)}`);
          }),
      ),
    );
  }

  /** The shader module of `wgsl`, compiled once per device (the training half's pipelines of other layouts use it too: kernel-modules.ts). */
  shaderModule(wgsl: string): Promise<GPUShaderModule> {
    return settledOnce(this.#modules, wgsl, async () => {
      // The scope keeps the device from also reporting the error as uncaptured.
      this.#device.pushErrorScope('validation');
      const module = this.#device.createShaderModule({ label: 'monc', code: wgsl });
      const scoped = this.#device.popErrorScope();
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error');
      const validation = await scoped;
      // The compiler's messages, a line each with its source line, else the validation error's on the same line.
      const problems = errors.length > 0 ? errors.map((m) => `\n${formatMessage(m, wgsl)}`).join('') : validation && ` ${validation.message}`;
      if (problems) throw new WgslError(`invalid WGSL:${problems}`);
      return module;
    });
  }
}

/** `cache`'s promise for `key`, created once; a failure is not kept: its caller sees it, and a later call tries again. */
function settledOnce<T>(cache: Map<string, Promise<T>>, key: string, create: () => Promise<T>): Promise<T> {
  return memo(cache, key, () => {
    const created = create();
    created.catch(() => cache.delete(key));
    return created;
  });
}

/** A compiler message with its position and source line (the line numbers count from 1; 0: none). */
function formatMessage(m: GPUCompilationMessage, wgsl: string): string {
  return m.lineNum ? `${m.lineNum}:${m.linePos}: error: ${m.message}\n  ${wgsl.split('\n')[m.lineNum - 1]}` : `error: ${m.message}`;
}
