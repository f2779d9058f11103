/**
 * Projection into a running map: project a dense W onto the map's structure and load the
 * parameters found. It lives here, not on TypedMap, so that a page that only runs a generated
 * module does not bundle the projection solver.
 */
import { FormatError } from '../runtime/formats/format-error.js';
import type { TypedMap } from '../runtime/typed-map.js';
import { MoncError } from '../util/error.js';
import { checkProjectOptions, project, type ProjectionResult, type ProjectOptions } from './project.js';
import { projectedRange } from './storage.js';

/** What `projectInto` found: the parameters it loaded, and how close their M is to W. */
export interface TypedProjection<Params> extends Omit<ProjectionResult, 'params'> {
  /** Every parameter tensor, float32, as loaded into the runner. */
  readonly params: Params;
}

/**
 * Projects a dense W (out, in), row-major (e.g. a trained nn.Linear weight), onto the structure
 * of `map` (an instance of a generated class) and loads the parameters found: afterwards
 * `forward` applies that M. The fit runs in float64 on the CPU (docs/projection.md), so this is
 * synchronous; `relativeError` is ‖W − M‖_F / ‖W‖_F of the values the runner stores (f16 in an
 * f16 kernel set, else f32). Throws a ProjectionError for a W of the wrong size or with
 * NaN/±Inf, or whose projection the module cannot hold (beyond ±65504 in an f16 module, whatever
 * the adapter), leaving the loaded parameters as they were.
 */
export function projectInto<Params extends { readonly [name: string]: Float32Array }>(
  map: TypedMap<Params>,
  w: Float32Array | Float64Array,
  options?: ProjectOptions,
): TypedProjection<Params> {
  const manifest = (map as Partial<TypedMap<Params>> | undefined)?.runner?.map;
  if (!manifest) throw new MoncError('user', 'projectInto() takes an instance of a generated class (what its create() resolves to)');
  if (options !== undefined) checkProjectOptions('projectInto()', options);
  const { name: mapName, model } = manifest;
  // A manifest map written by an older monc has no model: say which map, and what to do.
  if (model === undefined) throw new FormatError(`map '${mapName}': its manifest has no model (built by an older monc); rebuild the module with this version to project into it`);
  // Stored as the runner stores them: f16 where its kernel set has f16 storage (an f16 module on
  // an adapter with shader-f16), else f32 (the f32-storage set, the cpu backend); the error and
  // the claim describe those values.
  const { params, ...fit } = project(model, w, { ...options, storage: options?.storage ?? map.runner.kernelSet?.storage ?? 'f32' });
  const tensors: Record<string, Float32Array> = {};
  for (const [name, values] of params) tensors[name] = Float32Array.from(values);
  // The names are the manifest's: exactly the keys of Params. The runner checks the module's range
  // (±65504 in an f16 module, whatever storage its kernel set has): beyond it, as beyond the storage's.
  projectedRange(() => map.runner.loadParams(tensors));
  return { ...fit, params: tensors as Params };
}
