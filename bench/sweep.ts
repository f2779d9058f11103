/**
 * The sweep through the real pipeline, what users run: for each case a generated `.mon` spec is
 * compiled (compileKernels), every kernel of its map is tuned (tuneProgram: candidates checked
 * against the float64 reference, then timed; fused runs too), the spec is compiled again with
 * the winners (scheduleLookup, as `monc build --tuning` does), and the tuned forward pass is
 * measured by `monc bench`'s code (src/tools/measure-map.ts: checked, then timed as one compute pass). One JSON
 * record per case and dtype; with `--baseline torch.json` (bench/torch_baseline.py, same
 * machine) each record gets its PyTorch baseline and speedup = baseline_ms / ms.
 *
 * Candidates per kernel are capped so the sweep fits a time budget: the cap for each case is
 * what the remaining budget allows at the seconds per candidate measured so far (at least 1,
 * the default schedule; at most --max-candidates). Cases left when --deadline-s has passed are
 * recorded as skipped. The JSON is rewritten after every case, so a killed run keeps its records.
 *
 *   node dist/bench/sweep.js [--quick] [--out FILE] [--baseline torch.json] [--max-candidates 8]
 *                            [--budget-s 360] [--deadline-s 432] [--repeats 20] [--tune-repeats 10] [--only monarch,dense]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { nodeGpu } from './node-gpu.js';
import { compileKernels, type TuningLookup } from '../src/compile-kernels.js';
import { measureMap, type MapMeasurement } from '../src/tools/measure-map.js';
import { candidates, runCandidates } from '../src/codegen/wgsl/families.js';
import { isAmong } from '../src/codegen/wgsl/family.js';
import type { Schedule, TargetLimits } from '../src/codegen/wgsl/kernel.js';
import type { Dtype } from '../src/dsl/structure.js';
import type { Program } from '../src/ir/ir.js';
import { deviceTargetLimits } from '../src/runtime/device.js';
import { adapterIdentity } from '../src/tuner/adapter-identity.js';
import { emptyDb, merge } from '../src/tuner/db.js';
import { candidatePartitions, fusedRunsOf } from '../src/tuner/partitions.js';
import { scheduleLookup } from '../src/tuner/lookup.js';
import { tuneProgram } from '../src/tuner/tune.js';

const argv = process.argv.slice(2);
const arg = (flag: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = argv.includes('--quick');
const OUT_FILE = arg('--out');
const MAX_CANDIDATES = Number(arg('--max-candidates') ?? 8);
const BUDGET_S = Number(arg('--budget-s') ?? 360);
const DEADLINE_S = Number(arg('--deadline-s') ?? BUDGET_S * 1.2);
/** Timed passes per measurement of the tuned forward pass; per candidate while tuning: --tune-repeats. */
const REPEATS = Number(arg('--repeats') ?? 20);
const TUNE_REPEATS = Number(arg('--tune-repeats') ?? 10);
const ONLY = arg('--only')?.split(',');
/**
 * Seconds per candidate assumed before any was measured: 0.4-0.6 s on the H100 at B = 16384
 * (docs/performance.md) before timing.ts's 400 ms minimum warm-up, which adds up to 0.4 s.
 */
const FIRST_GUESS_S = Number(arg('--seconds-per-candidate') ?? 0.9);
const log = (msg: string) => process.stderr.write(msg + '\n');
/** The kernel sets a measurement's device passed over and why (session 14: the tensor-core sets, unseen until the f16 times came back slow). */
const passedOverText = (m: MapMeasurement) => m.passedOver.map((p) => `, not ${p.name}: needs ${p.unmet.join(', ')}`).join('');

/** The PyTorch comparison of a case: its own structure where PyTorch has one, else dense of the same shape. */
type Baseline = 'monarch' | 'dense';

interface SweepCase {
  /** The spec expression of the map. */
  readonly op: string;
  readonly kind: string;
  readonly n: number;
  readonly m: number;
  /** Structure parameters (nblocks, radix, rank, …). */
  readonly params: Readonly<Record<string, number | string>>;
  readonly batches: readonly number[];
  readonly baseline: Baseline;
}

const B = 16384;
const FULL: readonly SweepCase[] = [
  { op: 'monarch(nblocks: 64)', kind: 'monarch', n: 4096, m: 4096, params: { nblocks: 64 }, batches: [B, 4096], baseline: 'monarch' },
  { op: 'monarch(nblocks: 32)', kind: 'monarch', n: 1024, m: 1024, params: { nblocks: 32 }, batches: [B], baseline: 'monarch' },
  { op: 'monarch(nblocks: 4)', kind: 'monarch-rect', n: 1024, m: 4096, params: { nblocks: 4 }, batches: [B], baseline: 'monarch' },
  { op: 'monarch(nblocks: 4)', kind: 'monarch-rect', n: 4096, m: 1024, params: { nblocks: 4 }, batches: [B], baseline: 'monarch' },
  { op: 'monarch(nblocks: 128)', kind: 'monarch-16k', n: 16384, m: 16384, params: { nblocks: 128 }, batches: [4096], baseline: 'monarch' },
  // The same matrix as monarch(nblocks: 64) spelled P L Pᵀ R (canonicalize-blocks makes it the same ops).
  {
    op: 'transpose(64, 64) @ blockdiag(nblocks: 64) @ transpose(64, 64) @ blockdiag(nblocks: 64)',
    kind: 'monarch-raw',
    n: 4096,
    m: 4096,
    params: { nblocks: 64 },
    batches: [B],
    baseline: 'monarch',
  },
  { op: 'dense()', kind: 'dense', n: 1024, m: 1024, params: {}, batches: [B], baseline: 'dense' },
  { op: 'butterfly(radix: 2)', kind: 'butterfly', n: 1024, m: 1024, params: { radix: 2 }, batches: [B], baseline: 'dense' },
  { op: 'butterfly(radix: 4)', kind: 'butterfly', n: 1024, m: 1024, params: { radix: 4 }, batches: [B], baseline: 'dense' },
  { op: 'butterfly(radix: 2)', kind: 'butterfly', n: 4096, m: 4096, params: { radix: 2 }, batches: [B], baseline: 'dense' },
  { op: 'butterfly(radix: 4)', kind: 'butterfly', n: 4096, m: 4096, params: { radix: 4 }, batches: [B], baseline: 'dense' },
  { op: 'monarch(order: 3)', kind: 'monarch-order3', n: 4096, m: 4096, params: { order: 3, radix: 16 }, batches: [B], baseline: 'dense' },
  { op: 'lowrank(rank: 64)', kind: 'lowrank', n: 4096, m: 4096, params: { rank: 64 }, batches: [B], baseline: 'dense' },
  {
    op: 'sparse(block: 32, pattern: flat_butterfly(factors: 3)) + lowrank(rank: 32)',
    kind: 'pixelfly',
    n: 1024,
    m: 1024,
    params: { block: 32, factors: 3, rank: 32 },
    batches: [B],
    baseline: 'dense',
  },
  // Last: its slow candidates (ks-direct, about 1 s per pass) would starve the cases after it.
  { op: 'dense()', kind: 'dense', n: 4096, m: 4096, params: {}, batches: [B], baseline: 'dense' },
];

/** The same expressions at sizes SwiftShader runs in seconds (a smoke test of the sweep itself). */
const QUICK_CASES: readonly SweepCase[] = [
  { op: 'monarch(nblocks: 8)', kind: 'monarch', n: 64, m: 64, params: { nblocks: 8 }, batches: [64], baseline: 'monarch' },
  { op: 'monarch(nblocks: 4)', kind: 'monarch', n: 32, m: 128, params: { nblocks: 4 }, batches: [37], baseline: 'monarch' },
  { op: 'dense()', kind: 'dense', n: 64, m: 64, params: {}, batches: [64], baseline: 'dense' },
  { op: 'butterfly(radix: 2)', kind: 'butterfly', n: 64, m: 64, params: { radix: 2 }, batches: [64], baseline: 'dense' },
  { op: 'butterfly(radix: 4)', kind: 'butterfly', n: 64, m: 64, params: { radix: 4 }, batches: [64], baseline: 'dense' },
  { op: 'monarch(order: 3)', kind: 'monarch-order3', n: 64, m: 64, params: { order: 3, radix: 4 }, batches: [64], baseline: 'dense' },
  { op: 'lowrank(rank: 8)', kind: 'lowrank', n: 64, m: 64, params: { rank: 8 }, batches: [64], baseline: 'dense' },
  {
    op: 'sparse(block: 8, pattern: flat_butterfly(factors: 2)) + lowrank(rank: 4)',
    kind: 'pixelfly',
    n: 64,
    m: 64,
    params: { block: 8, factors: 2, rank: 4 },
    batches: [64],
    baseline: 'dense',
  },
];

const DTYPES: readonly Dtype[] = ['f32', 'f16'];

function specSource(c: SweepCase, dtype: Dtype): string {
  return `module sweep\ndtype ${dtype}\nmap m : ${c.n} -> ${c.m} = ${c.op}\n`;
}

function compiled(c: SweepCase, dtype: Dtype, tuning?: TuningLookup) {
  const result = compileKernels(specSource(c, dtype), 'sweep.mon', { tuning });
  if (!result.outputs || !result.programs) throw new Error(`${c.op}: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  return { program: result.programs[0], map: result.outputs.manifest.maps[0], wgsl: result.outputs.wgsl };
}

/**
 * How many candidates the tuner has for each kernel of a program (one per op, one per fused run
 * it tunes), the untuned build's default counted in: a cap of N tries min(N, that) per kernel.
 */
const candidateCounts = (p: Program, deviceLimits: TargetLimits) => {
  // As tuneProgram prunes them: f32 storage leaves out the f16-only (tensor-core) candidates.
  const limits = p.dtype === 'f16' ? deviceLimits : { ...deviceLimits, features: deviceLimits.features.filter((f) => f !== 'shader-f16') };
  return [
    ...p.ops.map((op) => candidates(op, limits).length + 1),
    ...fusedRunsOf(candidatePartitions(p, limits)).map((run) => runCandidates(p, run, limits).length),
  ];
};

/** Candidates tried over these runs with a cap of `cap` per kernel. */
const triedWith = (runs: readonly { readonly counts: readonly number[] }[], cap: number) =>
  runs.reduce((n, r) => n + r.counts.reduce((m, c) => m + Math.min(cap, c), 0), 0);

interface TorchRecord {
  readonly op: string;
  /** fly-bmm / torch-matmul are the sweep's baselines; torch_baseline.py also records torch.compile and round trips. */
  readonly impl?: string;
  readonly n: number;
  readonly m: number;
  readonly nblocks?: number;
  readonly batch: number;
  readonly dtype: string;
  readonly ms: number;
}

function baselineOf(torch: readonly TorchRecord[] | undefined, c: SweepCase, dtype: Dtype, batch: number): object {
  const name = c.baseline === 'monarch' ? `fly-style monarch (two torch.bmm), PyTorch ${dtype}` : `dense x@W.T (PyTorch, same shape) ${dtype}`;
  const note = c.baseline === 'dense' && c.kind !== 'dense' ? { baseline_note: `no standard PyTorch ${c.kind} kernel; compared with the dense product of the same shape` } : {};
  const found = torch?.find(
    (r) => (r.impl === undefined || r.impl === 'fly-bmm' || r.impl === 'torch-matmul') && r.op === c.baseline && r.n === c.n && r.m === c.m && r.batch === batch && r.dtype === dtype && (c.baseline !== 'monarch' || r.nblocks === c.params.nblocks),
  );
  return found ? { baseline: name, baseline_ms: found.ms, ...note } : { baseline: name, baseline_ms: null, ...note };
}

async function main(): Promise<void> {
  const { adapter, device } = await nodeGpu();
  device.addEventListener('uncapturederror', (e) => log(`uncaptured: ${(e as GPUUncapturedErrorEvent).error.message}`));
  const limits = deviceTargetLimits(device);
  const identity = adapterIdentity(adapter, device);
  log(`adapter: ${JSON.stringify(identity)}`);
  const torchFile = arg('--baseline');
  let torch: TorchRecord[] | undefined;
  try {
    torch = torchFile ? (JSON.parse(readFileSync(torchFile, 'utf8')) as { records: TorchRecord[] }).records : undefined;
  } catch (e) {
    log(`no baselines: ${torchFile}: ${(e as Error).message}`);
  }

  const cases = (QUICK ? QUICK_CASES : FULL).filter((c) => !ONLY || ONLY.includes(c.kind));
  const runs = cases.flatMap((c) => DTYPES.flatMap((dtype) => c.batches.map((batch) => ({ c, dtype, batch, counts: candidateCounts(compiled(c, dtype).program, limits) }))));
  const records: object[] = [];
  const t0 = performance.now();
  const elapsedS = () => (performance.now() - t0) / 1000;
  let candidatesDone = 0;
  const write = () => {
    const json = JSON.stringify({ adapter: identity, limits, date: new Date().toISOString(), repeats: REPEATS, tuneRepeats: TUNE_REPEATS, budgetS: BUDGET_S, quick: QUICK, elapsedS: elapsedS(), records }, null, 1) + '\n';
    if (OUT_FILE) writeFileSync(OUT_FILE, json);
    else process.stdout.write(json);
  };

  for (const [index, { c, dtype, batch, counts }] of runs.entries()) {
    const base = { op: c.op, kind: c.kind, n: c.n, m: c.m, ...c.params, batch, dtype };
    if (dtype === 'f16' && !device.features.has('shader-f16')) {
      records.push({ ...base, skipped: 'the adapter has no shader-f16' });
      continue;
    }
    if (elapsedS() > DEADLINE_S) {
      records.push({ ...base, skipped: `deadline (${DEADLINE_S} s) passed` });
      continue;
    }
    // Everything (compiling, checking, measuring) counted per candidate tuned so far.
    const secondsPerCandidate = candidatesDone > 0 ? elapsedS() / candidatesDone : FIRST_GUESS_S;
    const left = runs.slice(index).filter((r) => r.dtype === 'f32' || device.features.has('shader-f16'));
    let maxCandidates = 1;
    while (maxCandidates < MAX_CANDIDATES && triedWith(left, maxCandidates + 1) * secondsPerCandidate <= BUDGET_S - elapsedS()) maxCandidates++;
    log(`[${elapsedS().toFixed(0)} s] ${c.op} ${c.n}->${c.m} ${dtype} B=${batch}: ${counts.length} kernels, up to ${maxCandidates} candidates each (${secondsPerCandidate.toFixed(2)} s per candidate so far)`);
    try {
      const untuned = compiled(c, dtype);
      // What a build without --tuning runs: the untuned defaults (and default fusion), as one pass.
      const plain: MapMeasurement = await measureMap(device, { ...untuned, dtype }, { batch, repeats: REPEATS, tuned: () => false });
      const tuneStart = performance.now();
      const tuning = await tuneProgram(device, identity, untuned.program, {
        batch,
        limits,
        storage: dtype,
        maxCandidates,
        repeats: TUNE_REPEATS,
        onProgress: (p) => log(`  ${p.line}`),
      });
      const tuneS = (performance.now() - tuneStart) / 1000;
      candidatesDone += tuning.kernels.reduce((n, k) => n + k.timed + k.rejected.length, 0);
      const lookup = scheduleLookup(merge(emptyDb(), tuning.entries), { adapter: identity, batch });
      const built = compiled(c, dtype, lookup);
      const tuned = (ops: readonly number[], schedule: Schedule) => {
        const t = lookup(ops.map((i) => built.program.ops[i]), dtype);
        return t !== undefined && isAmong(schedule, [t.schedule]);
      };
      const measured: MapMeasurement = await measureMap(device, { ...built, dtype }, { batch, repeats: REPEATS, tuned });
      const ms = measured.whole.stats.medianMs;
      const baseline = baselineOf(torch, c, dtype, batch) as { baseline_ms: number | null };
      records.push({
        ...base,
        ms,
        minMs: measured.whole.stats.minMs,
        spread: measured.whole.stats.spread,
        warmup: measured.whole.stats.warmup,
        timing: measured.whole.method,
        gflops: measured.flops / ms / 1e6,
        gbps: measured.bytes / ms / 1e6,
        flops: measured.flops,
        bytes: measured.bytes,
        relError: measured.relError,
        /** The kernel set the runtime picked for the tuned build (MapRunner.kernelSet). */
        kernelSet: measured.kernelSet,
        passedOver: measured.passedOver,
        untuned: {
          ms: plain.whole.stats.medianMs,
          // Whether its warm-up settled: s15 call 1 timed 4096->1024 f16 untuned at 1.0443 ms whole against 0.3195 for
          // its two kernels alone right after (the tuned build's kernels and figures): a clock ramp is the suspect.
          warmup: plain.whole.stats.warmup,
          kernelsSumMs: plain.kernels.reduce((sum, k) => sum + k.ms, 0),
          relError: plain.relError,
          /** An untuned f16 build on a tensor-core adapter runs its 'tensor-core' set; elsewhere 'portable'. */
          kernelSet: plain.kernelSet,
          passedOver: plain.passedOver,
          schedules: plain.kernels.map((k) => ({ ops: k.ops, schedule: k.schedule, ms: k.ms })),
        },
        schedules: measured.kernels.map((k) => ({ ops: k.ops, schedule: k.schedule, tuned: k.tuned, ms: k.ms })),
        /** Each kernel timed alone, summed: a whole pass well above it means the clocks were not up yet. */
        kernelsSumMs: measured.kernels.reduce((sum, k) => sum + k.ms, 0),
        tuning: {
          maxCandidates,
          seconds: tuneS,
          kernels: tuning.kernels.map((k) => ({ ops: k.ops, best: k.best, defaultMs: k.defaultMs, timed: k.timed, rejected: k.rejected.length })),
        },
        ...baseline,
        speedup: baseline.baseline_ms !== null ? baseline.baseline_ms / ms : null,
      });
      log(`  => ${ms.toFixed(4)} ms [${measured.kernelSet}]${passedOverText(measured)} (untuned ${plain.whole.stats.medianMs.toFixed(4)} ms [${plain.kernelSet}]${passedOverText(plain)}), ${(measured.flops / ms / 1e6).toFixed(0)} GFLOP/s, ${(measured.bytes / ms / 1e6).toFixed(0)} GB/s (tuned in ${tuneS.toFixed(1)} s)`);
    } catch (e) {
      const message = (e as Error).message.slice(0, 600);
      log(`  FAILED: ${message}`);
      records.push({ ...base, error: message });
    }
    if (OUT_FILE) write();
  }
  write();
  device.destroy();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
