/** A malformed or unsupported file: a user error with a one-line reason, never a compiler bug. */
export class FormatError extends Error {
  override readonly name = 'FormatError';
}
