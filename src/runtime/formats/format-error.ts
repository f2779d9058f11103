import { MoncError } from '../../util/error.js';

/** A malformed or unsupported file: a user error with a one-line reason, never a compiler bug. */
export class FormatError extends MoncError {
  override readonly name = 'FormatError';
  constructor(message: string) {
    super('format', message);
  }
}
