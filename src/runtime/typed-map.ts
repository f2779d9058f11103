/**
 * The base of the per-map classes in generated bindings (src/codegen/ts): a MapRunner whose
 * parameter tensors are typed by name. A generated class adds only its literal sizes and shapes
 * and a `create` that builds the runner from the embedded manifest and WGSL; everything that
 * runs lives here and in MapRunner.
 */
import type { ManifestMap } from '../manifest/types.js';
import { decodeSafetensorsTensor, readSafetensorsIndex } from './formats/safetensors.js';
import type { MapRunner, MapRunnerOptions } from './map-runner.js';
import { describeShape, ParamError } from './params.js';

/** Options of a generated class's `create`: the dtype is the module's, fixed by the bindings. */
export type TypedMapOptions = Omit<MapRunnerOptions, 'dtype'>;

/** The runner's calls a generated class offers as they are (TypedMap forwards them: below). */
type ForwardedCalls = 'forward' | 'createStaging' | 'encodeForward' | 'dense' | 'backward' | 'encodeBackward' | 'createOptimizer' | 'fitMse' | 'saveParams' | 'destroy';

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
 * imports `monc/runtime/host-io` once for it), `encodeForward`, `dense()`, `backward(x, dy)`,
 * `encodeBackward`, `createOptimizer`, `fitMse` (docs/training.md), `saveParams()` (loadable with
 * `loadParams`) and `destroy()`.
 */
export interface TypedMap<Params extends { readonly [name: string]: Float32Array }> extends Pick<MapRunner, ForwardedCalls> {}

// Forwarded in one loop rather than written out one by one: every page bundles this class.
for (const call of ['forward', 'createStaging', 'encodeForward', 'dense', 'backward', 'encodeBackward', 'createOptimizer', 'fitMse', 'saveParams', 'destroy'] satisfies ForwardedCalls[]) {
  Object.defineProperty(TypedMap.prototype, call, {
    value(this: TypedMap<never>, ...args: unknown[]): unknown {
      return (this.runner[call] as (...a: unknown[]) => unknown)(...args);
    },
    writable: true,
    configurable: true,
  });
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
