/**
 * The one error type of monc for a failure that stops an operation: `kind` says what failed, the
 * message says why in one line (a spec's rendered diagnostics excepted). Problems found in a spec
 * are not thrown but collected as diagnostics (dsl/diagnostics.ts); a compiler bug is a plain
 * `Error` whose message starts with `internal error:` (util/assert.ts). The CLI maps each kind to
 * its exit code in one table (cli/report-error.ts). This module imports nothing, so every layer,
 * the runtime included, may throw it.
 */

/** What failed. Each kind has one exit code in the CLI; a new kind is a type error there until it has one. */
export type ErrorKind =
  /** A `.mon` spec with errors: the message is its rendered diagnostics. */
  | 'spec'
  /** A file that cannot be read or written as asked (missing, a directory, too large…). */
  | 'file'
  /** A malformed or unsupported file (npy, safetensors, manifest). */
  | 'format'
  /** Parameters that do not fit a map: a missing tensor, a wrong number of elements. */
  | 'param'
  /** Data of the wrong shape for a map (inputs, targets). */
  | 'shape'
  /** A value a module cannot take (NaN, ±Inf, beyond f16's range). */
  | 'value'
  /** A matrix that projection cannot handle (wrong shape, non-finite, unsupported structure). */
  | 'projection'
  /** A peer's state dict or layer that does not fit the conversion. */
  | 'interop'
  /** No WebGPU adapter, or one without a feature the module needs. */
  | 'device'
  /** Anything else that is the user's to fix (an option value out of range, a name that is not there…). */
  | 'user'
  /** A bad command line (unknown option, missing argument). */
  | 'usage'
  /** WGSL that monc generated and the device rejected: a bug in monc. */
  | 'wgsl';

export class MoncError extends Error {
  override readonly name: string = 'MoncError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** Extra data for machine-readable reports (`--json`), e.g. a spec's diagnostics. */
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/**
 * A MoncError of kind 'device' (the device or the host refused what a call needs: memory, a limit, a lost device): one
 * short call at each of the runtime's checks, as userError is for kind 'user' (every page's bundle holds several).
 */
export function deviceError(message: string): MoncError {
  return new MoncError('device', message);
}

/** Whether `e` is a MoncError (of `kind`, when given). */
export function isMoncError(e: unknown, kind?: ErrorKind): e is MoncError {
  return e instanceof MoncError && (kind === undefined || e.kind === kind);
}
