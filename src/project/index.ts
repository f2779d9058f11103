/**
 * monc/project: projection of dense matrices onto structures (browser-safe, float64, no
 * dependencies). Its own entry so that pages which only run maps do not bundle the solver.
 * See docs/projection.md.
 */
export { ProjectionError } from './errors.js';
export { checkDenseShape, denseShape, project, type ProjectedModel, type ProjectOptions, type ProjectionResult } from './project.js';
export { projectInto, type TypedProjection } from './load.js';
// up.project(w, options) on every generated class (TypedMap), installed by importing this entry.
export * from './typed-method.js';
