/**
 * `monc build --watch`: builds, then rebuilds whenever a spec, a mask file one of them reads or
 * the tuning database changes, until stopped (Ctrl-C). A failed build prints its error as
 * `monc build` would and keeps watching; outputs are written only by successful builds. With
 * `--json` the output is a stream: each build's object (with its spec warnings as `diagnostics`, as
 * `monc build --json` has them) or error object, then the summary when stopped, each on one line.
 */
import { watchFiles } from '../../node/file-watcher.js';
import { formatJsonLine } from '../../util/json.js';
import { withWarnings, type CommandContext, type CommandResult } from '../context.js';
import { reportError } from '../report-error.js';
import { userTuningDbPath } from '../tuning.js';
import { buildCommand, type BuildOptions } from './build.js';

export async function buildWatchCommand(ctx: CommandContext, files: readonly string[], opts: BuildOptions, stop: AbortSignal = untilInterrupted()): Promise<CommandResult> {
  let builds = 0;
  let queue = Promise.resolve();
  const watcher = watchFiles(() => rebuild());
  const tuning = opts.tuning === true ? userTuningDbPath(ctx) : opts.tuning;
  // The mask files the last build's specs read, as its compiles recorded them (not read again).
  let masks = new Set<string>();
  const buildOnce = async () => {
    builds++;
    const read = new Set<string>();
    // A mask file this build reads first is watched from before it is read (QA1 s27 Q601: a change during the build
    // that read it was lost, the watch armed only after the build): that change queues the next build.
    const onMaskFile = (file: string) => {
      if (!read.has(file) && !masks.has(file)) watcher.update(buildInputs(files, new Set([...masks, ...read, file]), tuning));
      read.add(file);
    };
    // Each build's own warnings, for its JSON line (an earlier build's are not this one's).
    const buildCtx: CommandContext = { ...ctx, warnings: [] };
    try {
      const result = await buildCommand(buildCtx, files, { ...opts, onMaskFile });
      ctx.io.stdout(ctx.json ? `${formatJsonLine(withWarnings(result.json, buildCtx.warnings))}\n` : `${result.text}\n`);
      masks = read;
    } catch (e) {
      reportError(e, ctx.io, ctx.json, formatJsonLine);
      // A build stopped early (a spec it could not read) compiled only some specs: keep the others' masks.
      masks = new Set([...masks, ...read]);
    }
    const inputs = buildInputs(files, masks, tuning);
    watcher.update(inputs);
    if (!ctx.json) ctx.io.stderr(`monc: watching ${inputs.length} file${inputs.length === 1 ? '' : 's'} for changes (Ctrl-C to stop)\n`);
  };
  // Builds never overlap: a change during a build queues the next one.
  const rebuild = () => void (queue = queue.then(buildOnce));
  // The specs and the tuning database are watched from before the first build reads them (Q601: an edit while it ran
  // was never built).
  watcher.update(buildInputs(files, masks, tuning));
  rebuild();
  await new Promise<void>((ok) => (stop.aborted ? ok() : stop.addEventListener('abort', () => ok(), { once: true })));
  await queue;
  watcher.close();
  return { json: { out: opts.out, builds }, jsonLine: true, text: `monc: stopped watching after ${builds} build${builds === 1 ? '' : 's'}` };
}

/** The files a build reads: the specs (watched even when one cannot be read), the mask files they name, the tuning database. */
function buildInputs(files: readonly string[], masks: ReadonlySet<string>, tuning: string | undefined): string[] {
  // The user's database may not exist yet, nor its folder (a fresh machine's ~/.cache/monc/): the
  // watcher follows its nearest existing folder until it appears, as for masks (QA s19 Q81).
  return [...new Set<string>([...files, ...masks, ...(tuning === undefined ? [] : [tuning])])];
}

/**
 * Aborted by Ctrl-C or SIGTERM (what `timeout`, `docker stop`, systemd and process managers send): either ends the watch
 * the same way, with its summary (QA1 s30 Q901: SIGTERM killed the process without it). Once one has come, both
 * signals have their default action again.
 */
function untilInterrupted(): AbortSignal {
  const controller = new AbortController();
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const stop = () => {
    for (const signal of signals) process.off(signal, stop);
    controller.abort();
  };
  for (const signal of signals) process.on(signal, stop);
  return controller.signal;
}
