/** What every command gets, and what it gives back for `main` to print. */
import { escapeHidden } from '../util/hidden-chars.js';
import type { CliIo } from './io.js';
import type { DiagnosticJson } from './spec-error.js';

export interface CommandContext {
  readonly io: CliIo;
  readonly json: boolean;
  /** The spec warnings the command met (also on stderr): `main` adds them to its `--json` object as `diagnostics`. */
  readonly warnings?: DiagnosticJson[];
}

/** A command's result: one JSON object for `--json`, and the text shown otherwise. */
export interface CommandResult {
  readonly json: Readonly<Record<string, unknown>>;
  readonly text: string;
  /** Print `json` on one line: the last of a stream of JSON lines the command printed itself (`build --watch`). */
  readonly jsonLine?: boolean;
}

/** `json` with the spec warnings a command met as `diagnostics` (no warnings: no such key). */
export function withWarnings(json: CommandResult['json'], warnings: readonly DiagnosticJson[] | undefined): CommandResult['json'] {
  return warnings !== undefined && warnings.length > 0 ? { ...json, diagnostics: warnings } : json;
}

/**
 * A remark for the user on stderr (kept off stdout, which `--json` reserves for the result): one
 * line, the paths it quotes with their controls and bidirectional formatting escaped.
 */
export function note(ctx: CommandContext, message: string): void {
  ctx.io.stderr(`monc: ${escapeHidden(message)}\n`);
}

