/**
 * `monc`: the command line (SPEC §5), a thin shell over the library. `main` never exits the
 * process and never throws: it returns the exit code — 0 success, 1 user error (bad spec, bad
 * file, shape mismatch), 2 bad usage, 3 internal error (a compiler bug) — so tests run it
 * in-process with their own stdout/stderr.
 */
import { CommanderError } from 'commander';
import { FileError } from '../runtime/files/file-error.js';
import { FormatError } from '../runtime/formats/format-error.js';
import { ValueRangeError } from '../runtime/numerics.js';
import { ParamError } from '../runtime/params.js';
import { ProjectionError } from '../runtime/project/errors.js';
import { formatJson } from '../util/json.js';
import type { CommandContext, CommandResult } from './context.js';
import { processIo, type CliIo } from './io.js';
import { buildProgram } from './program.js';
import { SpecError } from './spec-error.js';
import { UserError } from './user-error.js';

const EXIT = { ok: 0, user: 1, usage: 2, internal: 3 } as const;

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  // Known before parsing, so that a usage error (unknown option, missing --map) honours --json too.
  let json = wantsJson(argv);
  const run = async (ctx: CommandContext, command: () => Promise<CommandResult>) => {
    json = ctx.json;
    const result = await command();
    io.stdout(json ? `${formatJson(result.json)}\n` : `${result.text}\n`);
  };
  try {
    await buildProgram(io, run).parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    return reportError(e, io, json);
  }
}

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

/** Whether `--json` is among the options (before a `--` that ends them). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** Errors of the library that are the user's to fix, as UserErrors. */
function asUserError(e: unknown): UserError | undefined {
  if (e instanceof UserError) return e;
  if (e instanceof FileError || e instanceof FormatError || e instanceof ParamError || e instanceof ValueRangeError || e instanceof ProjectionError) return new UserError(e.message);
  return undefined;
}
