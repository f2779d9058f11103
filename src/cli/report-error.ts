/**
 * How the CLI reports a failure and which exit code it gives: 0 success, 1 user error (bad spec,
 * bad file, shape mismatch), 2 bad usage, 3 internal error (a compiler bug). Its own module so that
 * `main.ts` and the commands that report errors themselves (`build --watch`) share it without an
 * import cycle through `program.ts`.
 */
import { CommanderError } from 'commander';
import { FileError } from '../node/files/file-error.js';
import { FormatError } from '../runtime/formats/format-error.js';
import { ValueRangeError } from '../runtime/numerics.js';
import { ParamError } from '../runtime/params.js';
import { ProjectionError } from '../project/errors.js';
import { formatJson } from '../util/json.js';
import type { CliIo } from './io.js';
import { SpecError } from './spec-error.js';
import { UserError } from './user-error.js';

export const EXIT = { ok: 0, user: 1, usage: 2, internal: 3 } as const;

/** Prints a failure (text on stderr; with `--json` also an `{error}` object on stdout) and gives the exit code. */
export function reportError(e: unknown, io: CliIo, json: boolean): number {
  // Commander has already printed its message (or the help) to stderr / stdout.
  if (e instanceof CommanderError) {
    if (e.exitCode === 0) return EXIT.ok;
    if (json) io.stdout(`${formatJson({ error: { kind: 'usage', message: e.message.replace(/^error: /, '') } })}\n`);
    return EXIT.usage;
  }

  const user = asUserError(e);
  if (user) {
    io.stderr(user instanceof SpecError ? `${user.message}\n` : `monc: error: ${user.message}\n`);
    if (json) io.stdout(`${formatJson({ error: { kind: 'user', message: user.message, ...user.details } })}\n`);
    return EXIT.user;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const message = err.message.replace(/^internal error: /, '');
  io.stderr(`monc: internal error: ${message}\n`);
  if (io.env.MONC_DEBUG === '1' && err.stack) io.stderr(`${err.stack}\n`);
  else io.stderr('monc: (this is a bug in monc; set MONC_DEBUG=1 for the stack trace)\n');
  if (json) io.stdout(`${formatJson({ error: { kind: 'internal', message } })}\n`);
  return EXIT.internal;
}

/** Errors of the library that are the user's to fix, as UserErrors. */
function asUserError(e: unknown): UserError | undefined {
  if (e instanceof UserError) return e;
  if (e instanceof FileError || e instanceof FormatError || e instanceof ParamError || e instanceof ValueRangeError || e instanceof ProjectionError) return new UserError(e.message);
  return undefined;
}
