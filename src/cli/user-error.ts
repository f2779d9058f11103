/**
 * A failure that is the user's to fix (a bad spec, a missing or malformed file, a shape
 * mismatch): printed as its message, never with a stack trace, exit code 1. `message` may span
 * several lines (rendered diagnostics); `details` is extra data for `--json`.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}
