/** Projection of dense matrices onto structures (browser-safe). See docs/projection.md. */
export { ProjectionError } from './errors.js';
export { checkDenseShape, denseShape, project, type ProjectOptions, type ProjectionResult } from './project.js';
