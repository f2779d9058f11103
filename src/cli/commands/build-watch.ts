/**
 * `monc build --watch`: builds, then rebuilds whenever a spec, a mask file one of them reads or
 * the tuning database changes, until stopped (Ctrl-C). A failed build prints its error as
 * `monc build` would and keeps watching; outputs are written only by successful builds. With
 * `--json` the output is a stream: each build's object (or error object), then the summary when
 * stopped, each on one line.
 */
import { existsSync } from 'node:fs';
import { SPEC_FILE } from '../../node/files/bounds.js';
import { readTextBounded } from '../../node/files/read-bounded.js';
import { dirname } from 'node:path';
import { checkSource } from '../../dsl/index.js';
import { recordingMaskResolver } from '../../node/mask-files.js';
import { watchFiles } from '../../node/file-watcher.js';
import { formatJsonLine } from '../../util/json.js';
import type { CommandContext, CommandResult } from '../context.js';
import { reportError } from '../report-error.js';
import { userTuningDbPath } from '../tuning.js';
import { buildCommand, type BuildOptions } from './build.js';

export async function buildWatchCommand(ctx: CommandContext, files: readonly string[], opts: BuildOptions, stop: AbortSignal = untilInterrupted()): Promise<CommandResult> {
  let builds = 0;
  let queue = Promise.resolve();
  const watcher = watchFiles(() => rebuild());
  const buildOnce = async () => {
    builds++;
    try {
      const result = await buildCommand(ctx, files, opts);
      ctx.io.stdout(ctx.json ? `${formatJsonLine(result.json)}\n` : `${result.text}\n`);
    } catch (e) {
      reportError(e, ctx.io, ctx.json, formatJsonLine);
    }
    const inputs = buildInputs(files, opts.tuning === true ? userTuningDbPath(ctx) : opts.tuning);
    watcher.update(inputs);
    if (!ctx.json) ctx.io.stderr(`monc: watching ${inputs.length} file${inputs.length === 1 ? '' : 's'} for changes (Ctrl-C to stop)\n`);
  };
  // Builds never overlap: a change during a build queues the next one.
  const rebuild = () => void (queue = queue.then(buildOnce));
  rebuild();
  await new Promise<void>((ok) => (stop.aborted ? ok() : stop.addEventListener('abort', () => ok(), { once: true })));
  await queue;
  watcher.close();
  return { json: { out: opts.out, builds }, jsonLine: true, text: `monc: stopped watching after ${builds} build${builds === 1 ? '' : 's'}` };
}

/** The files a build reads: the specs, the mask files they name, the tuning database. */
function buildInputs(files: readonly string[], tuning: string | undefined): string[] {
  const inputs = new Set<string>(files);
  for (const file of files) {
    let source: string;
    try {
      source = readTextBounded(file, SPEC_FILE);
    } catch {
      continue; // Watched all the same: the build reported why it could not read it.
    }
    const masks = recordingMaskResolver();
    checkSource(source, file, { resolveMask: masks.resolve });
    for (const mask of masks.files) inputs.add(mask);
  }
  // The user's database may not exist yet (nor its directory, which a watch needs).
  if (tuning !== undefined && existsSync(dirname(tuning))) inputs.add(tuning);
  return [...inputs];
}

function untilInterrupted(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  return controller.signal;
}
