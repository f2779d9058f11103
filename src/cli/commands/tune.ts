/**
 * `monc tune FILE.mon [--map NAME] [--batch B] [--db PATH] [--max-candidates N] [--forward-only]`:
 * a shell over tuneMaps (src/tuner/tune-maps.ts: tuneProgram and tuneBackwardProgram). On this
 * machine's adapter, every kernel of every map (or of the one named), fused runs of ops and the
 * map's backward kernels included (not with `--forward-only`: a module built forward-only has
 * none), is tried with its candidate schedules, each
 * checked against the float64 reference and then timed; the fastest per kernel go into the tuning
 * database (merged in atomically), where `monc build --tuning` and `monc bench` find them.
 */
import { emitProgramKernels } from '../../codegen/wgsl/program.js';
import { isAmong } from '../../codegen/wgsl/family.js';
import { compileBackward } from '../../ir/pipeline.js';
import { emitBackwardKernels } from '../../codegen/wgsl/backward-program.js';
import { hasTimestamps } from '../../runtime/timing.js';
import { checkTuningDbWritable, loadNote, saveTuningEntries } from '../../node/tuning-db.js';
import { scheduleLookup } from '../../tuner/lookup.js';
import { unusableEntries } from '../../tuner/unusable-entries.js';
import { TUNING_DB_FILE } from '../../node/files/bounds.js';
import type { KernelTuning } from '../../tuner/tune.js';
import type { TuningEntry } from '../../tuner/db.js';
import { checkTuneBatch, tuneMaps, type TuneMapsResult } from '../../tuner/tune-maps.js';
import { MoncError } from '../../util/error.js';
import { compileSpecKernels } from '../compile-spec.js';
import { note, type CommandContext, type CommandResult } from '../context.js';
import { openGpu } from '../gpu.js';
import { findMap } from '../load-spec.js';
import { progress } from '../progress.js';
import { opsText, scheduleText } from '../schedule-text.js';
import { formatTable } from '../table.js';
import { loadUserDb, userTuningDb } from '../tuning.js';
import { escapeHidden } from '../../util/hidden-chars.js';

export interface TuneCommandOptions {
  readonly map?: string;
  readonly batch: number;
  readonly db?: string;
  readonly maxCandidates: number;
  /** Leave the backward kernels untuned (what `monc build --forward-only` emits has none). */
  readonly forwardOnly?: boolean;
}

export async function tuneCommand(ctx: CommandContext, file: string, opts: TuneCommandOptions): Promise<CommandResult> {
  const spec = await compileSpecKernels(ctx, file);
  const names = opts.map === undefined ? spec.module.maps.map((m) => m.name) : [findMap(spec, opts.map).name];
  const programs = names.map((name) => spec.programs.find((p) => p.name === name)!);
  const location = userTuningDb(ctx, opts.db);
  const dbPath = location.path;
  // Before any tuning work: the database must be readable and writable (one the user named), or
  // is set aside with a note (monc's default file), so that results are never lost to a write error.
  loadUserDb(ctx, location);
  checkTuningDbWritable(dbPath);

  const gpu = await openGpu(ctx, 'tune');
  try {
    if (spec.module.dtype === 'f16' && !gpu.device.features.has('shader-f16')) {
      throw new MoncError('device', `${file}: module ${spec.module.name} is f16 and this adapter (${gpu.adapterDescription}) has no shader-f16: its f16 kernels cannot be tuned here`);
    }
    // Before any tuning and before the progress bar: a batch whose buffers do not fit this adapter.
    checkTuneBatch(gpu.device, programs.map((forward) => ({ forward, ...(opts.forwardOnly ? {} : { backward: compileBackward(forward) }) })), opts.batch);
    if (!hasTimestamps(gpu.device)) note(ctx, "this adapter has no 'timestamp-query': timing by the wall clock (submission latency included)");
    const bar = progress(ctx, 'tune');
    let result: TuneMapsResult;
    try {
      result = await tuneMaps(gpu, programs, {
        batch: opts.batch,
        maxCandidates: opts.maxCandidates,
        ...(opts.forwardOnly ? { forwardOnly: true } : {}),
        onProgress: (p) => bar.update(p.done, p.total, p.line),
      });
    } finally {
      bar.finish();
    }
    const { entries, retired, forward: tuned, backward: tunedBackward } = result;
    // The file's entries for kernels of this spec on schedules they cannot run (hand-edited, damaged) go: a build ignores them.
    const unusable = unusableEntries(spec.programs.map((forward) => ({ forward, backward: compileBackward(forward) })));
    const saved = saveTuningEntries(dbPath, entries, retired, location.namedBy === undefined, TUNING_DB_FILE.maxBytes, unusable);
    // What the save did to the file: set aside, entries of other monc versions dropped (the load said only 'not used':
    // a tune that fails before its save leaves them), its oldest entries left out.
    const saveNote = loadNote(dbPath, saved, true);
    if (saveNote) note(ctx, saveNote);
    const unreliable = unreliableTiming(gpu.adapterDescription, entries);
    if (unreliable) note(ctx, unreliable);

    // What `monc build --tuning` now emits (this adapter's entries, tuned last; the largest bucket wins).
    const lookup = scheduleLookup(saved.db);
    const maps = tuned.map(({ program, kernels }) => {
      const built = emitProgramKernels(program, { schedules: (ops) => lookup(ops.map((i) => program.ops[i]), program.dtype) });
      return {
        map: program.name,
        kernels: kernels.map((k) => reportRow(k, built.some((b) => b.ops.join() === k.ops.join() && k.best !== undefined && isAmong(b.schedule, [k.best.schedule])))),
      };
    });
    for (const { program, kernels } of tunedBackward) {
      const built = emitBackwardKernels(program, { schedules: (i) => lookup([program.ops[i]], program.dtype) });
      maps.push({
        map: `${program.name} (backward)`,
        kernels: kernels.map((k) => reportRow(k, k.best !== undefined && isAmong(built[k.ops[0]].schedule, [k.best.schedule]))),
      });
    }
    const all = maps.flatMap((m) => m.kernels.map((k) => ({ map: m.map, ...k })));
    const timed = all.reduce((n, k) => n + k.timed, 0);
    const rejected = all.flatMap((k) => k.rejected.map((r) => `${k.map} ops ${opsText(k.ops)} ${scheduleText(r.schedule)}: ${r.error.split('\n')[0]}`));
    const table = formatTable(
      ['map', 'ops', 'best schedule', 'ms', '±', 'default ms', 'vs default', 'build uses'],
      all.map((k) => [
        k.map,
        opsText(k.ops),
        `${k.schedule ? scheduleText(k.schedule) : '(no candidate passed)'}${k.reused ? ' (same kernel as above)' : ''}`,
        k.ms !== undefined ? k.ms.toFixed(4) : '-',
        k.spread !== undefined ? `${(k.spread * 100).toFixed(1)}%` : '-',
        k.defaultMs !== undefined ? k.defaultMs.toFixed(4) : '-',
        k.speedup !== undefined ? `${k.speedup.toFixed(2)}x` : '-',
        k.usedByBuild ? 'yes' : 'no',
      ]),
      [3, 4, 5, 6],
    );
    return {
      json: { file, adapter: gpu.adapterDescription, identity: gpu.identity, batch: opts.batch, db: dbPath, entries: entries.length, droppedUnusable: saved.unusable ?? 0, reliable: unreliable === undefined, maps },
      text: [
        `tuned ${escapeHidden(file)} on ${gpu.adapterDescription}, batch ${opts.batch}: ${all.length} kernel${all.length === 1 ? '' : 's'}, ${timed} schedule${timed === 1 ? '' : 's'} checked and timed`,
        table,
        ...(rejected.length > 0 ? [`${rejected.length} candidate${rejected.length === 1 ? '' : 's'} failed (not timed):`, ...rejected.map((r) => `  ${r}`)] : []),
        `saved ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} to ${escapeHidden(dbPath)} ("build uses": what monc build --tuning${opts.db === undefined ? '' : ` ${escapeHidden(dbPath)}`} emits)`,
        ...(unreliable ? ['warning: these timings are unreliable (see above); the winners are stored, but may not be the fastest'] : []),
      ].join('\n'),
    };
  } finally {
    gpu.device.destroy();
  }
}

/** Timing spread ((p90 − p10) / median) above which a winner may be noise. */
export const UNRELIABLE_SPREAD = 0.5;

/**
 * Why the stored winners cannot be trusted, or undefined: a CPU rasterizer (SwiftShader,
 * lavapipe) says nothing about a GPU, and a spread over UNRELIABLE_SPREAD means the candidates'
 * times overlap. The entries are stored all the same (each passed the float64 check, so a build
 * that uses them is correct), with this warning on stderr and `reliable: false` in --json.
 */
export function unreliableTiming(adapter: string, entries: readonly TuningEntry[]): string | undefined {
  const software = /swiftshader|lavapipe|llvmpipe/i.test(adapter);
  const spread = entries.reduce((m, e) => Math.max(m, e.spread), 0);
  if (!software && spread <= UNRELIABLE_SPREAD) return undefined;
  const why = [
    ...(software ? [`${adapter} is a CPU rasterizer: its timings do not predict any GPU`] : []),
    ...(spread > UNRELIABLE_SPREAD ? [`timings varied by up to ${(spread * 100).toFixed(0)}% of the median (over ${UNRELIABLE_SPREAD * 100}%)`] : []),
  ];
  return `the tuned winners are unreliable: ${why.join('; ')}; tune on the GPU you deploy on, with nothing else running`;
}

/** A tuned kernel as the report lists it (forward and backward alike): its winner against the default, whether it was reused from a map above, and whether a build now uses it. */
function reportRow(k: KernelTuning, usedByBuild: boolean) {
  return {
    ops: k.ops,
    ...(k.best ? { schedule: k.best.schedule, ms: k.best.ms, spread: k.best.spread } : {}),
    ...(k.defaultMs !== undefined ? { defaultMs: k.defaultMs } : {}),
    ...(k.best && k.defaultMs !== undefined ? { speedup: k.defaultMs / k.best.ms } : {}),
    timed: k.timed,
    rejected: k.rejected,
    ...(k.reused ? { reused: true } : {}),
    usedByBuild,
  };
}
