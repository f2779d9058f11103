/**
 * `monc`: the command line (SPEC §5), a thin shell over the library. `main` never exits the
 * process and never throws: it returns the exit code — 0 success, 1 user error (bad spec, bad
 * file, shape mismatch), 2 bad usage, 3 internal error (a compiler bug) — so tests run it
 * in-process with their own stdout/stderr.
 */
import { formatJson, formatJsonLine } from '../util/json.js';
import { withWarnings, type CommandContext, type CommandResult } from './context.js';
import { processIo, type CliIo } from './io.js';
import { buildProgram } from './program.js';
import { EXIT, reportError } from './report-error.js';
// The commands run any map, block-sparse ones included (their manifests' patterns, their kernels' pattern tables on webgpu).
import '../runtime/sparse.js';

export { reportError } from './report-error.js';

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  // Known before parsing, so that a usage error (unknown option, missing --map) honours --json too.
  let json = wantsJson(argv);
  const run = async (ctx: CommandContext, command: () => Promise<CommandResult>) => {
    json = ctx.json;
    const result = await command();
    // The spec's warnings travel with the object; a stream of JSON lines (`build --watch`) put each build's on its line.
    const object = result.jsonLine ? result.json : withWarnings(result.json, ctx.warnings);
    io.stdout(json ? `${(result.jsonLine ? formatJsonLine : formatJson)(object)}\n` : `${result.text}\n`);
  };
  try {
    await buildProgram(io, run).parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    return reportError(e, io, json);
  }
}

/** Whether `--json` is among the options (before a `--` that ends them). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}
