import { MoncError } from '../util/error.js';

/**
 * A user error in projection (wrong shape, NaN in the matrix, a structure projection cannot
 * handle). The message is one line, fit to print as-is; the CLI turns it into exit code 1.
 */
export class ProjectionError extends MoncError {
  override readonly name = 'ProjectionError';
  constructor(message: string) {
    super('projection', message);
  }
}
