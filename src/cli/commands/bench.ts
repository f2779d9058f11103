/**
 * `monc bench FILE.mon --map NAME --batch B [--tuning [DB] | --no-tuning] [--repeats N]`: times a
 * map's kernels on this machine's adapter, as a build would emit them for it (the tuned schedule
 * where the tuning database has one for this adapter and batch bucket, else the default). The
 * output is first checked against the float64 executor on a few rows; then the whole forward pass
 * (one compute pass) and each kernel alone are timed with timestamp queries (the wall clock when
 * the adapter has none). Reports ms per call, GFLOP/s (manifest FLOPs per row × B), GB/s
 * (activations each kernel reads and writes + the parameters) and, for GPUs with known peak
 * figures (device-peaks.ts), the percentage of the memory and FP32 floors.
 */
import { isAmong } from '../../codegen/wgsl/family.js';
import type { Schedule } from '../../codegen/wgsl/kernel.js';
import { adapterKey, type AdapterIdentity } from '../../tuner/adapter-identity.js';
import { batchBucket, type TuningDb } from '../../tuner/db.js';
import { scheduleLookup } from '../../tuner/lookup.js';
import { describeAdapter } from '../../runtime/device.js';
import { MONC_VERSION } from '../../version.js';
import { measureMap, type MapMeasurement } from '../../tools/measure-map.js';
import { compileSpecKernels } from '../compile-spec.js';
import { note, type CommandContext, type CommandResult } from '../context.js';
import { devicePeaks } from '../device-peaks.js';
import { openGpu, type CommandGpu } from '../gpu.js';
import { checkSpecFirst, findMap } from '../load-spec.js';
import { opsText, scheduleText } from '../schedule-text.js';
import { formatTable } from '../table.js';
import { readTuning, type TuningChoice } from '../tuning.js';
import { unusableTuningNote, type UnusableTuning } from '../../compile-kernels.js';
import { escapeHidden } from '../../util/hidden-chars.js';

export interface BenchOptions {
  readonly map: string;
  readonly batch: number;
  /** A database, the user's (true), or none (false: the default schedules). */
  readonly tuning: TuningChoice | false;
  readonly repeats: number;
}

export async function benchCommand(ctx: CommandContext, file: string, opts: BenchOptions): Promise<CommandResult> {
  // A bad spec or map name fails before the adapter is opened and the database read (and their notes).
  await checkSpecFirst(file, opts.map);
  const loaded = opts.tuning === false ? undefined : await readTuning(ctx, opts.tuning);
  const gpu = await openGpu(ctx, 'bench');
  try {
    const coverage = loaded && adapterCoverage(loaded.db, gpu.identity);
    // Entries for other adapters are never used here (a build without a GPU takes them): say so, not time other kernels silently.
    if (loaded && coverage!.entries === 0) note(ctx, `${loaded.path}: no entries for this adapter${coverage!.others.length > 0 ? ` (entries for ${coverage!.others.join('; ')})` : ''}: timing the default schedules`);
    // The batch's own bucket; where it has no entries of this adapter, what a build from the
    // database emits (and the runtime then runs at every batch): its largest bucket's, not the defaults.
    const bucket = batchBucket(opts.batch);
    const ownBucket = coverage !== undefined && coverage.buckets.includes(bucket);
    if (loaded && coverage!.entries > 0 && !ownBucket) {
      note(ctx, `${loaded.path}: no entries for batch ${opts.batch} (bucket ${bucket}; this adapter's are for batches up to ${coverage!.buckets.join(', ')}): timing the schedules a build takes from it (the largest bucket's)`);
    }
    const lookup = loaded && scheduleLookup(loaded.db, { adapter: gpu.identity, ...(ownBucket ? { batch: opts.batch } : {}) });
    const spec = await compileSpecKernels(ctx, file, lookup);
    if (loaded && spec.outputs.unusableTuning) note(ctx, unusableTuningNote(loaded.path, file, spec.outputs.unusableTuning));
    const checked = findMap(spec, opts.map);
    const map = spec.outputs.manifest.maps.find((m) => m.name === checked.name)!;
    const program = spec.programs.find((p) => p.name === checked.name)!;
    const dtype = spec.module.dtype;
    const tuned = (ops: readonly number[], schedule: Schedule) => {
      const t = lookup?.(ops.map((i) => program.ops[i]), dtype);
      return t !== undefined && isAmong(schedule, [t.schedule]);
    };
    const measured = await measureMap(gpu.device, { map, program, wgsl: spec.outputs.wgsl, dtype }, { batch: opts.batch, repeats: opts.repeats, tuned });
    if (measured.whole.method === 'wall-clock') note(ctx, "this adapter has no 'timestamp-query': timed by the wall clock (submission latency included)");
    return report(file, opts, gpu, { ...measured, tuningPath: loaded?.path, tuningEntries: coverage?.entries, unusableTuning: spec.outputs.unusableTuning ?? [] });
  } finally {
    gpu.device.destroy();
  }
}

/** How many of the database's entries (of this monc version) are this adapter's, and the other adapters it has entries for. */
function adapterCoverage(db: TuningDb, identity: AdapterIdentity): { entries: number; buckets: number[]; others: string[] } {
  const key = adapterKey(identity);
  let entries = 0;
  const buckets = new Set<number>();
  const others = new Map<string, string>();
  for (const e of db.entries) {
    if (e.compiler !== MONC_VERSION) continue;
    const k = adapterKey(e.adapter);
    if (k === key) {
      entries++;
      buckets.add(e.batchBucket);
    } else {
      others.set(k, describeAdapter(e.adapter)); // as monc run names adapters: vendor, architecture, device (driver)
    }
  }
  return { entries, buckets: [...buckets].sort((a, b) => a - b), others: [...others.values()] };
}

function report(file: string, opts: BenchOptions, gpu: CommandGpu, m: MapMeasurement & { readonly tuningPath?: string; readonly tuningEntries?: number; readonly unusableTuning: readonly UnusableTuning[] }): CommandResult {
  const { stats, method } = m.whole;
  const seconds = stats.medianMs / 1e3;
  const gflops = m.flops / seconds / 1e9;
  const gbs = m.bytes / seconds / 1e9;
  const peaks = devicePeaks(gpu.identity.vendor, gpu.identity.device);
  const floors = peaks && {
    device: peaks.name,
    memoryBytesPerS: peaks.memoryBytesPerS,
    fp32FlopsPerS: peaks.fp32FlopsPerS,
    percentOfMemoryFloor: (100 * m.bytes) / seconds / peaks.memoryBytesPerS,
    percentOfComputeFloor: (100 * m.flops) / seconds / peaks.fp32FlopsPerS,
  };
  const pct = (x: number) => `${x.toFixed(1)}%`;
  const table = formatTable(
    ['kernel', 'ops', 'schedule', 'tuned', 'ms', '±'],
    m.kernels.map((k) => [k.entryPoint, opsText(k.ops), scheduleText(k.schedule), k.tuned ? 'yes' : 'no', k.ms.toFixed(4), pct(k.spread * 100)]),
    [4, 5],
  );
  return {
    json: {
      file,
      map: m.map,
      batch: opts.batch,
      adapter: gpu.adapterDescription,
      tuning: m.tuningPath ?? null,
      tuningEntries: m.tuningEntries ?? null,
      // The database's schedules this build could not use (the note on stderr says so too).
      unusableTuning: m.unusableTuning,
      kernelSet: m.kernelSet,
      passedOver: m.passedOver,
      storage: m.storage,
      timing: method,
      repeats: opts.repeats,
      ms: stats.medianMs,
      spread: stats.spread,
      minMs: stats.minMs,
      maxMs: stats.maxMs,
      flops: m.flops,
      bytes: m.bytes,
      gflops,
      gbs,
      floors: floors ?? null,
      relativeError: m.relError,
      kernels: m.kernels,
    },
    text: [
      `${escapeHidden(file)}: map ${m.map}, batch ${opts.batch}, on ${gpu.adapterDescription} (${method === 'timestamp-query' ? 'GPU timestamps' : 'wall clock'}, median of ${opts.repeats})`,
      `kernel set: ${m.kernelSet} (${m.storage} storage)${m.passedOver.length === 0 ? '' : `; passed over: ${m.passedOver.map((p) => `${p.name} (needs ${p.unmet.join(', ')})`).join(', ')}`}`,
      ...(m.tuningPath === undefined ? [] : [`tuning: ${escapeHidden(m.tuningPath)}, ${m.tuningEntries === 0 ? 'no entries for this adapter (the default schedules)' : `${m.tuningEntries} entr${m.tuningEntries === 1 ? 'y' : 'ies'} for this adapter`}`]),
      `${stats.medianMs.toFixed(4)} ms per call (±${pct(stats.spread * 100)}, min ${stats.minMs.toFixed(4)}, max ${stats.maxMs.toFixed(4)})  ${gflops.toFixed(1)} GFLOP/s  ${gbs.toFixed(1)} GB/s`,
      floors
        ? `${floors.device}: ${pct(floors.percentOfMemoryFloor)} of the memory floor (${peaks!.memoryBytesPerS / 1e12} TB/s), ${pct(floors.percentOfComputeFloor)} of the FP32 floor (${peaks!.fp32FlopsPerS / 1e12} TFLOP/s)`
        : `no peak figures for this device (${gpu.identity.vendor} ${gpu.identity.device}): percentages of the floors omitted`,
      table,
      `checked against the float64 reference first: relative error ${m.relError.toExponential(2)}`,
    ].join('\n'),
  };
}
