/**
 * The base of the per-map classes in generated bindings (src/codegen/ts): a MapRunner whose
 * parameter tensors are typed by name. A generated class adds only its literal sizes and shapes
 * and a `create` that builds the runner from the embedded manifest and WGSL; everything that
 * runs lives here and in MapRunner.
 */
import { TRAINING_CALLS } from './extensions.js';
import type { MapRunner, MapRunnerOptions } from './map-runner.js';
import type { ParamTensor, TensorObject } from './params.js';

/** Options of a generated class's `create`: the dtype is the module's, fixed by the bindings. */
export type TypedMapOptions = Omit<MapRunnerOptions, 'dtype'>;

/** The runner's calls a generated class offers as they are (TypedMap forwards them: below). */
type ForwardedCalls = 'forward' | 'createStaging' | 'encodeForward' | 'encodeDispatches' | 'dense' | 'backward' | 'encodeBackward' | 'createOptimizer' | 'fitMse' | 'saveParams' | 'destroy';

export abstract class TypedMap<Params extends { readonly [name: string]: Float32Array }> {
  /** The untyped runner underneath: backend, adapter, sizes. */
  // `declare`d and set by the constructor, as MapRunner's public fields: a field declaration in every page adds nothing.
  declare readonly runner: MapRunner;

  protected constructor(runner: MapRunner) {
    this.runner = runner;
  }

  /** The current parameters by name (after optimizer steps: the updated ones). */
  async params(): Promise<Params> {
    return Object.fromEntries(await this.runner.params()) as Params;
  }
}

/**
 * The MapRunner calls every generated class has, with MapRunner's signatures and documentation:
 * `forward(x, batch | { batch, out, chunkRows })` (Y = X Mᵀ row by row, like nn.Linear: `x`
 * holds rows of `in` values, an X of shape (…, in) flattened row-major, Y the same rows of `out`
 * values), `createStaging(capacity)` (mapped views reused across forward passes; a browser page
 * imports `monc/runtime/host-io` once for it, and for `dense()`), `encodeForward`, `encodeDispatches`
 * (QA2 s14 R33: it was missing), `dense()`, `backward(x, dy)`,
 * `encodeBackward`, `createOptimizer`, `fitMse` (docs/training.md), `saveParams()` (loadable with
 * `loadParams`) and `destroy()`.
 */
export interface TypedMap<Params extends { readonly [name: string]: Float32Array }> extends Pick<MapRunner, ForwardedCalls>, TypedMapExtensions<Params> {
  /**
   * Parameter tensors by name (row-major float32, or tensor objects `{ shape, data }`; a Map of
   * either, such as readSafetensors(bytes).tensors, is not checked by name), or the bytes of a
   * safetensors file (`fetch`'s `arrayBuffer()` as it is, too). Forwarded like the calls above,
   * typed by the map's parameter names.
   */
  loadParams(params: { readonly [K in keyof Params]: Params[K] | TensorObject } | ReadonlyMap<string, ParamTensor> | Uint8Array | ArrayBuffer): void;
}

/**
 * The methods an opt-in entry installs on every generated class when imported, declared by that
 * entry (a module augmentation of this interface): `project(w)` by `monc/project`. Empty here,
 * so that the runtime names nothing of them.
 */
export interface TypedMapExtensions<Params extends { readonly [name: string]: Float32Array }> {}

// Forwarded in one loop rather than written out one by one: every page bundles this class (and the training calls' names, which MapRunner forwards too).
for (const call of ['loadParams', 'forward', 'createStaging', 'encodeForward', 'encodeDispatches', 'dense', 'destroy', ...TRAINING_CALLS] satisfies (ForwardedCalls | 'loadParams')[]) {
  // (Assigned, as MapRunner's training calls are: a property descriptor costs every page about 45 bytes.)
  (TypedMap.prototype as unknown as Record<string, unknown>)[call] = function (this: TypedMap<never>, ...args: unknown[]): unknown {
    return (this.runner[call] as (...a: unknown[]) => unknown)(...args);
  };
}
