/**
 * Projection into a running map: project a dense W onto the map's structure and load the
 * parameters found. It lives here, not on TypedMap, so that a page that only runs a generated
 * module does not bundle the projection solver.
 */
import type { TypedMap } from '../runtime/typed-map.js';
import { project, type ProjectionResult, type ProjectOptions } from './project.js';

/** What `projectInto` found: the parameters it loaded, and how close their M is to W. */
export interface TypedProjection<Params> extends Omit<ProjectionResult, 'params'> {
  /** Every parameter tensor, float32, as loaded into the runner. */
  readonly params: Params;
}

/**
 * Projects a dense W (out, in), row-major (e.g. a trained nn.Linear weight), onto the structure
 * of `map` (an instance of a generated class) and loads the parameters found: afterwards
 * `forward` applies that M. The fit runs in float64 on the CPU (docs/projection.md), so this is
 * synchronous; `relativeError` is ‖W − M‖_F / ‖W‖_F of that fit. Throws a ProjectionError for a
 * W of the wrong size or with NaN/±Inf, leaving the loaded parameters as they were.
 */
export function projectInto<Params extends { readonly [name: string]: Float32Array }>(
  map: TypedMap<Params>,
  w: Float32Array | Float64Array,
  options?: ProjectOptions,
): TypedProjection<Params> {
  const { params, ...fit } = project(map.runner.map.model, w, options);
  const tensors: Record<string, Float32Array> = {};
  for (const [name, values] of params) tensors[name] = Float32Array.from(values);
  // The names are the manifest's: exactly the keys of Params.
  map.runner.loadParams(tensors);
  return { ...fit, params: tensors as Params };
}
