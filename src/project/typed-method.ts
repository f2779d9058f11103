/**
 * `up.project(w, options?)`: projectInto as a method of every generated class (issue 3: "the same
 * as a library function and as a method of the generated bindings"). Installed on TypedMap's
 * prototype when this entry (`monc/project`, also loaded by `monc`) is imported, not written in
 * TypedMap: a page that only runs maps then bundles neither the solver nor the method, and the
 * runtime never imports projection. TypeScript sees the method through the augmentation below
 * wherever `monc/project` is imported; without the import it is a type error, as the method is
 * absent at run time.
 */
import { TypedMap } from '../runtime/typed-map.js';
import { projectInto, type TypedProjection } from './load.js';
import type { ProjectOptions } from './project.js';

type TensorsByName = { readonly [name: string]: Float32Array };

declare module '../runtime/typed-map.js' {
  interface TypedMapExtensions<Params extends { readonly [name: string]: Float32Array }> {
    /**
     * Projects a dense W (out, in), row-major (e.g. a trained nn.Linear weight), onto this map's
     * structure and loads the parameters found: `projectInto(this, w, options)` (docs/projection.md).
     * Present once `monc/project` (or `monc`) is imported.
     */
    project(w: Float32Array | Float64Array, options?: ProjectOptions): TypedProjection<Params>;
  }
}

Object.defineProperty(TypedMap.prototype, 'project', {
  value<Params extends TensorsByName>(this: TypedMap<Params>, w: Float32Array | Float64Array, options?: ProjectOptions): TypedProjection<Params> {
    return projectInto(this, w, options);
  },
  writable: true,
  configurable: true,
});
