/**
 * The base of the per-map classes in generated bindings (src/codegen/ts): a MapRunner whose
 * parameter tensors are typed by name. A generated class adds only its literal sizes and shapes
 * and a `create` that builds the runner from the embedded manifest and WGSL; everything that
 * runs lives here and in MapRunner.
 */
import type { ManifestMap } from '../manifest/types.js';
import { decodeSafetensorsTensor, readSafetensorsIndex } from './formats/safetensors.js';
import type { BackwardResult, FitMseOptions, FitMseResult, MapRunner, MapRunnerOptions } from './map-runner.js';
import type { ForwardOptions } from './forward-request.js';
import type { ForwardStaging } from './host-io.js';
import type { Optimizer, OptimizerOptions } from './optimizer.js';
import { describeShape, ParamError } from './params.js';

/** Options of a generated class's `create`: the dtype is the module's, fixed by the bindings. */
export type TypedMapOptions = Omit<MapRunnerOptions, 'dtype'>;

export abstract class TypedMap<Params extends { readonly [name: string]: Float32Array }> {
  protected constructor(
    /** The untyped runner underneath: backend, adapter, sizes. */
    readonly runner: MapRunner,
  ) {}

  /** Parameter tensors by name (row-major float32), or the bytes of a safetensors file (`fetch`'s `arrayBuffer()` as it is, too). */
  loadParams(params: Params | Uint8Array | ArrayBuffer): void {
    const bytes = params instanceof ArrayBuffer ? new Uint8Array(params) : params;
    this.runner.loadParams(bytes instanceof Uint8Array ? tensorsOf(bytes, this.runner.map) : bytes);
  }

  /**
   * Y = X Mᵀ row by row, like nn.Linear: `x` holds rows of `in` values (an X of shape (…, in)
   * flattened row-major, any leading dimensions), Y the same rows of `out` values (shape (…, out)).
   * `batch` (the number of rows; a number or `options.batch`) defaults to x.length / in;
   * `options.out` receives Y instead of a new array (docs/runtime.md).
   */
  forward(x: Float32Array, options?: number | ForwardOptions): Promise<Float32Array> {
    return this.runner.forward(x, options);
  }

  /**
   * Mapped input and result views reused across forward passes of up to `capacity` rows
   * (docs/runtime.md); a browser page imports `monc/runtime/host-io` once for it.
   */
  createStaging(capacity: number): ForwardStaging {
    return this.runner.createStaging(capacity);
  }

  /** Records the forward pass of `batch` rows from `x` into `y` on the caller's encoder. */
  encodeForward(encoder: GPUCommandEncoder, x: GPUBuffer, y: GPUBuffer, batch: number): void {
    this.runner.encodeForward(encoder, x, y, batch);
  }

  /** The dense matrix M, shape (out, in), row-major. */
  dense(): Promise<Float32Array> {
    return this.runner.dense();
  }

  /**
   * Gradients for X (batch, in) and DY = ∂L/∂Y (batch, out): `dx` = DY M and one gradient per
   * parameter tensor, by name (docs/training.md).
   */
  backward(x: Float32Array, dy: Float32Array, batch?: number): Promise<BackwardResult> {
    return this.runner.backward(x, dy, batch);
  }

  /** Records the backward pass on the caller's encoder; parameter gradients stay on the device for the optimizer. */
  encodeBackward(encoder: GPUCommandEncoder, x: GPUBuffer, dy: GPUBuffer, dx: GPUBuffer, batch: number): void {
    this.runner.encodeBackward(encoder, x, dy, dx, batch);
  }

  /** SGD (momentum), Adam or AdamW over the parameters, stepping with the last backward pass's gradients. */
  createOptimizer(options: OptimizerOptions): Optimizer {
    return this.runner.createOptimizer(options);
  }

  /**
   * Fits the parameters to (x, target) by mini-batch MSE steps, on the device for webgpu (docs/training.md).
   * Rejects with FitStopped at the first bad step, leaving the parameters of the step before it.
   */
  fitMse(x: Float32Array, target: Float32Array, options: FitMseOptions): Promise<FitMseResult> {
    return this.runner.fitMse(x, target, options);
  }

  /** The current parameters by name (after optimizer steps: the updated ones). */
  async params(): Promise<Params> {
    return Object.fromEntries(await this.runner.params()) as Params;
  }

  /** The current parameters as safetensors bytes, loadable with `loadParams`. */
  saveParams(): Promise<Uint8Array> {
    return this.runner.saveParams();
  }

  destroy(): void {
    this.runner.destroy();
  }
}

/**
 * The tensors of a safetensors file that the map uses, each checked against its shape: a tensor
 * of the right size but another shape (a transposed weight) would otherwise load silently. Only
 * those are decoded: the file's other tensors may be of any dtype (a state dict's I64 counters).
 * Missing tensors are left for the runner to report.
 */
function tensorsOf(bytes: Uint8Array, map: ManifestMap): Map<string, ArrayLike<number>> {
  const index = readSafetensorsIndex(bytes, bytes.length);
  const tensors = new Map<string, ArrayLike<number>>();
  for (const { name, shape } of map.params) {
    const t = index.entries.find((e) => e.name === name);
    if (!t) continue;
    // Shapes compared as messages write them: equal texts, equal shapes.
    const [got, expected] = [t.shape, shape].map(describeShape);
    if (got !== expected) throw new ParamError(`parameter tensor '${name}' has shape ${got}; expected ${expected}`);
    tensors.set(name, decodeSafetensorsTensor(t, bytes.subarray(index.dataStart + t.begin, index.dataStart + t.end)).data);
  }
  return tensors;
}
