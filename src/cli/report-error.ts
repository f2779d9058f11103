/**
 * How the CLI reports a failure and which exit code it gives: 0 success, 1 user error (bad spec,
 * bad file, shape mismatch), 2 bad usage, 3 internal error (a compiler bug). The exit code of
 * every kind of MoncError is in one table here; nothing else in the CLI decides one. Its own
 * module so that `main.ts` and the commands that report errors themselves (`build --watch`) share
 * it without an import cycle through `program.ts`.
 */
import { CommanderError } from 'commander';
import { assertNever } from '../util/assert.js';
import { MoncError, type ErrorKind } from '../util/error.js';
import { escapeHidden } from '../util/hidden-chars.js';
import { formatJson } from '../util/json.js';
import type { CliIo } from './io.js';

export const EXIT = { ok: 0, user: 1, usage: 2, internal: 3 } as const;

type Outcome = Exclude<keyof typeof EXIT, 'ok'>;

/** What each kind of error is to the user: theirs to fix (1), a bad command line (2), or a bug in monc (3). */
export const OUTCOME: { readonly [K in ErrorKind]: Outcome } = {
  spec: 'user',
  file: 'user',
  format: 'user',
  param: 'user',
  shape: 'user',
  value: 'user',
  projection: 'user',
  interop: 'user',
  device: 'user',
  user: 'user',
  usage: 'usage',
  wgsl: 'internal',
};

/**
 * Prints a failure (text on stderr; with `--json` also an `{error}` object on stdout, written by
 * `jsonText`: one line in a stream of objects) and gives the exit code.
 */
export function reportError(e: unknown, io: CliIo, json: boolean, jsonText: (value: unknown) => string = formatJson): number {
  // Commander has already printed its message (or the help) to stderr / stdout.
  if (e instanceof CommanderError && e.exitCode === 0) return EXIT.ok;
  const err = asMoncError(e);
  const outcome = outcomeOf(err);
  const message = messageOf(err, outcome);
  switch (outcome) {
    case 'usage':
      // Commander printed the message already; a usage MoncError is printed like a user error.
      if (!(e instanceof CommanderError)) io.stderr(`monc: error: ${message}\n`);
      break;
    case 'user':
      // A spec's message is its rendered diagnostics, which name the file and the place themselves.
      io.stderr(isSpecError(err) ? `${message}\n` : `monc: error: ${message}\n`);
      break;
    case 'internal':
      reportInternal(err, io);
      break;
    default:
      assertNever(outcome, 'outcome');
  }
  if (json) {
    const details = err instanceof MoncError ? err.details : undefined;
    io.stdout(`${jsonText({ error: { kind: outcome, message, ...details } })}\n`);
  }
  return EXIT[outcome];
}

/** A MoncError for Commander's usage errors; any other error as it is (an Error: a bug). */
function asMoncError(e: unknown): Error {
  if (e instanceof CommanderError) return new MoncError('usage', e.message.replace(/^error: /, ''));
  return e instanceof Error ? e : new Error(String(e));
}

function outcomeOf(e: Error): Outcome {
  return e instanceof MoncError ? OUTCOME[e.kind] : 'internal';
}

const isSpecError = (e: Error): boolean => e instanceof MoncError && e.kind === 'spec';

/**
 * The message as printed. A user or usage error's is one line however the names and paths it
 * quotes from the command line are spelled: their controls (a newline, ESC) and bidirectional
 * formatting characters become `\u{…}` escapes (a spec's rendered diagnostics did that already
 * and keep their lines; an internal error's report keeps its lines too).
 */
function messageOf(e: Error, outcome: Outcome): string {
  if (outcome === 'internal') return e.message.replace(/^internal error: /, '');
  return isSpecError(e) ? e.message : escapeHidden(e.message);
}

function reportInternal(err: Error, io: CliIo): void {
  io.stderr(`monc: internal error: ${messageOf(err, 'internal')}\n`);
  if (io.env.MONC_DEBUG === '1' && err.stack) io.stderr(`${err.stack}\n`);
  else io.stderr('monc: (this is a bug in monc; set MONC_DEBUG=1 for the stack trace)\n');
}
