/**
 * The performance goals on the current GPU: monarch(nblocks) at n = 4096 (and 1024), B = 16384,
 * f32 and f16, and dense 4096³. For each kernel family that applies, a sample of its schedules
 * is checked against the float64 reference (tolerance 1e-5 f32, 3e-3 f16; failures are reported
 * and never timed) and timed with timestamp queries (timing.ts's warm-up, then the median of
 * `--repeats` passes). The best two-kernel Monarch (op0 then op1, one pass, two dispatches) is
 * re-timed as a whole (twice). The fused pair families follow (ks-pair-fused; in f16 also
 * ks-pair-sgmat, both factors on tensor cores). Writes one JSON object (to --out, else stdout), progress on stderr.
 *
 *   node dist/bench/monarch-goal.js [--samples K] [--repeats R] [--only monarch|dense] [--sizes 4096,1024,1024x4096x4] [--batch B] [--dtypes f16]
 *                                   [--plan bench/results/plan-h100.json] [--out result.json] [--warmup-ms MS] [--no-fused] [--no-robustness]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { nodeGpu, nodeGpuWithoutRobustness } from './node-gpu.js';
import { checkCase, contextFor, denseCase, monarchCase, type OpsCase } from './cases.js';
import { GOAL_FAMILIES, goalFamilies, isPlanned } from './goal-families.js';
import { probeOf } from '../src/codegen/wgsl/fast/sgmat-probe.js';
import { ksTiled } from '../src/codegen/wgsl/fast/ks-tiled.js';
import { ksSgmat } from '../src/codegen/wgsl/fast/ks-sgmat.js';
import { emitPair, pairCandidates, pairDefaultSchedule } from '../src/codegen/wgsl/fast/ks-pair-fused.js';
import { emitPairSgmat, pairSgmatCandidates, pairSgmatDefault } from '../src/codegen/wgsl/fast/ks-pair-sgmat.js';
import type { RegisteredFamily } from '../src/codegen/wgsl/family.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../src/ir/ir.js';
import type { StorageType } from '../src/codegen/wgsl/scaffold.js';
import { KernelCheck } from '../src/tuner/kernel-check.js';
import { timeChain } from './chain-timing.js';
import { adapterIdentity } from '../src/tuner/adapter-identity.js';

const argv = process.argv.slice(2);
const arg = (flag: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const SAMPLES = Number(arg('--samples') ?? 10);
const REPEATS = Number(arg('--repeats') ?? 20);
/** Minimum warm-up before each timing (ms); default: timing.ts's. The recorded runs used 200 (see docs/performance.md). */
const WARMUP_MS = arg('--warmup-ms') === undefined ? undefined : Number(arg('--warmup-ms'));
const TIMING = { repeats: REPEATS, warmupMs: WARMUP_MS };
const ONLY = arg('--only');
/** Storage types to time (`--dtypes f16`: a plan of tensor-core forms only, without the f32 families' device time); default both where the adapter has shader-f16. */
const DTYPES = arg('--dtypes')?.split(',');
if (DTYPES?.some((d) => d !== 'f32' && d !== 'f16')) throw new Error(`--dtypes ${DTYPES.join(',')}: f32, f16 or both`);
/** Square sizes n (nblocks √n) or rectangular `NxMxK` (n -> m, K blocks); plan keys use the same spelling. */
const SIZES = (arg('--sizes') ?? '4096,1024').split(',');
/** A size's n, m and blocks; checked before the GPU is touched (2048 alone has no whole √n: give 2048x2048x32). */
const shapeOf = (size: string): [number, number, number] => {
  const [n, m = n, k = Math.sqrt(n)] = size.split('x').map(Number);
  if (![n, m, k].every((v) => Number.isInteger(v) && v > 0) || n % k !== 0 || m % k !== 0)
    throw new Error(`--sizes ${size}: ${k} blocks do not divide ${n} -> ${m} (a square size needs a whole √n; else give NxMxK)`);
  return [n, m, k];
};
SIZES.forEach(shapeOf);
/** Rows per Monarch case. */
const BATCH = Number(arg('--batch') ?? 16384);
/** Optional plan: schedules to time per case (keys `n/dtype/op0`, `dense/dtype`) instead of a sample. */
/** Write the JSON here instead of stdout (Dawn prints shader-compiler warnings on stdout). */
const OUT_FILE = arg('--out');
const PLAN: Record<string, Schedule[]> | undefined = arg('--plan') ? JSON.parse(readFileSync(arg('--plan')!, 'utf8')) : undefined;
const ODD_BATCH = 37;
/** `--no-fused`: time the two-kernel chains only (no ks-pair-fused / ks-pair-sgmat). */
const FUSED = !argv.includes('--no-fused');
/** `--no-robustness`: a device with Dawn's robustness off (node-gpu.ts), to price Tint's clamps against a run without the flag. */
const ROBUST = !argv.includes('--no-robustness');
const log = (msg: string) => process.stderr.write(msg + '\n');

function sample<T>(all: readonly T[], count: number): T[] {
  if (all.length <= count) return [...all];
  const step = (all.length - 1) / (count - 1);
  return [...new Set(Array.from({ length: count }, (_, i) => all[Math.round(i * step)]))];
}

interface Timed {
  readonly schedule: Schedule;
  readonly ms: number;
  readonly minMs?: number;
  readonly spread?: number;
  readonly relErr?: number;
  readonly error?: string;
  /** A bench-only probe's time (sgmat-probe.ts: its results are wrong by design, so ms stays Infinity). */
  readonly probeMs?: number;
}

/** Checks then times each kernel; fastest first (rejected ones last, ms = Infinity). */
async function search(device: GPUDevice, c: OpsCase, first: number, count: number, storage: StorageType, batch: number, kernels: (() => EmittedKernel)[]): Promise<Timed[]> {
  const check = KernelCheck.create(device, checkCase(c, first, count, storage, batch, 16));
  // A small odd batch too: partial row tiles, every row checked.
  const odd = KernelCheck.create(device, checkCase(c, first, count, storage, ODD_BATCH, ODD_BATCH));
  const tol = storage === 'f16' ? 3e-3 : 1e-5;
  const out: Timed[] = [];
  try {
    for (const make of kernels) {
      let k: EmittedKernel | undefined;
      try {
        k = make();
        const relErr = Math.max(await check.check(k), await odd.check(k));
        if (probeOf(k.schedule) !== undefined) {
          // A probe leaves a stage out (wrong results by design): timed, never a chain's best.
          const t = await check.time(k, { repeats: REPEATS, warmupMs: WARMUP_MS });
          log(`  PROBE ${t.medianMs.toFixed(4)} ms ±${(t.spread * 100).toFixed(1)}% err ${relErr.toExponential(1)} ${JSON.stringify(k.schedule)}`);
          out.push({ schedule: k.schedule, ms: Infinity, probeMs: t.medianMs, relErr });
          continue;
        }
        if (!(relErr < tol)) {
          log(`  REJECT ${JSON.stringify(k.schedule)} relErr=${relErr}`);
          out.push({ schedule: k.schedule, ms: Infinity, relErr });
          continue;
        }
        const t = await check.time(k, { repeats: REPEATS, warmupMs: WARMUP_MS });
        log(`  ${t.medianMs.toFixed(4)} ms ±${(t.spread * 100).toFixed(1)}% err ${relErr.toExponential(1)} ${JSON.stringify(k.schedule)}`);
        out.push({ schedule: k.schedule, ms: t.medianMs, minMs: t.minMs, spread: t.spread, relErr });
      } catch (e) {
        const msg = (e as Error).message.slice(0, 400);
        log(`  ERROR ${JSON.stringify(k?.schedule)}: ${msg}`);
        out.push({ schedule: k?.schedule ?? { family: '?' }, ms: Infinity, error: msg });
      }
    }
  } finally {
    check.destroy();
    odd.destroy();
  }
  return out.sort((a, b) => a.ms - b.ms);
}

/** Register tiles worth device time: enough work per thread to amortise the shared-memory loads. */
function promising(s: Schedule): boolean {
  switch (s.family) {
    case 'ks-tiled':
    case 'ks-dtiled':
      return (s.rr as number) * (s.rb as number) >= 32;
    case 'ks-dvec':
      return (s.rr as number) * (s.rb as number) >= 8;
    default:
      return true;
  }
}

/** Every applicable family's default plus a sample of its promising candidates. */
function schedulesOf(families: readonly RegisteredFamily<'ks'>[], op: KsOp, limits: TargetLimits, count: number): Schedule[] {
  return families.flatMap((registered) => {
    const f = registered.forOp(op);
    const all = f.candidates(limits);
    if (all.length === 0) return [];
    const def = f.defaultSchedule(limits);
    const good = all.filter(promising);
    return [def, ...sample(good.length > 0 ? good : all, count).filter((s) => JSON.stringify(s) !== JSON.stringify(def))];
  });
}

/** The families' defaults plus the planned schedules that are candidates here. */
function planned(registered: readonly RegisteredFamily<'ks'>[], op: KsOp, limits: TargetLimits, plan: readonly Schedule[]): Schedule[] {
  const families = registered.map((f) => f.forOp(op));
  const key = (s: Schedule) => JSON.stringify(Object.keys(s).sort().map((k) => [k, s[k]]));
  const all = families.flatMap((f) => f.candidates(limits));
  const out = new Map<string, Schedule>();
  for (const f of families) if (f.candidates(limits).length > 0) out.set(key(f.defaultSchedule(limits)), f.defaultSchedule(limits));
  const valid = plan.filter((s) => isPlanned(s, all, op));
  for (const s of valid) out.set(key(s), s);
  // Loud, not silent: a plan written for another build or adapter would otherwise time only the defaults.
  const dropped = plan.length - valid.length;
  if (dropped > 0) log(`  PLAN: ${dropped} of ${plan.length} planned schedules are not candidates here (this build, these limits): skipped (bench/plan-check.js names them)`);
  return [...out.values()];
}

const FAMILIES = GOAL_FAMILIES;


async function main(): Promise<void> {
  const { adapter, device } = ROBUST ? await nodeGpu() : await nodeGpuWithoutRobustness();
  device.addEventListener('uncapturederror', (e) => log(`uncaptured: ${(e as GPUUncapturedErrorEvent).error.message}`));
  const limits: TargetLimits = {
    maxWorkgroupSize: Math.min(adapter.limits.maxComputeInvocationsPerWorkgroup, 1024),
    maxWorkgroupStorageBytes: adapter.limits.maxComputeWorkgroupStorageSize,
    features: [...device.features],
  };
  const identity = adapterIdentity(adapter, device);
  log(`adapter: ${JSON.stringify(identity)} features: ${limits.features.join(',')}${ROBUST ? '' : ' (robustness off)'}`);
  const offered: StorageType[] = device.features.has('shader-f16') ? ['f32', 'f16'] : ['f32'];
  const dtypes = offered.filter((d) => DTYPES === undefined || DTYPES.includes(d));
  if (dtypes.length === 0) log(`--dtypes ${DTYPES!.join(',')}: not offered by this adapter (${offered.join(', ')}): nothing to time`);
  const records: object[] = [];
  const t0 = performance.now();
  const recordsJson = () => JSON.stringify({ adapter: identity, limits, robustness: ROBUST, date: new Date().toISOString(), samples: SAMPLES, repeats: REPEATS, records }, null, 1) + '\n';
  // --out is rewritten after every case, so a run stopped by a device call's time limit keeps what it measured.
  const writeRecords = () => {
    if (OUT_FILE) writeFileSync(OUT_FILE, recordsJson());
  };

  if (ONLY !== 'dense')
    for (const size of SIZES) {
      const [n, m, k] = shapeOf(size);
      const batch = BATCH;
      const c = monarchCase(n, m, k);
      const [op0, op1] = c.ops;
      for (const storage of dtypes) {
        const elem = storage === 'f16' ? 2 : 4;
        const base = { op: 'monarch', n, m, nblocks: k, batch, dtype: storage, flops: batch * c.flopsPerRow, bytes: batch * (c.in + c.out) * elem };
        const per: Timed[][] = [];
        for (const [i, op] of [op0, op1].entries()) {
          const fams = goalFamilies(storage);
          const scheds = PLAN ? planned(fams, op, limits, PLAN[`${size}/${storage}/op${i}`] ?? []) : schedulesOf(fams, op, limits, SAMPLES);
          log(`${c.name} ${storage} op${i}: ${scheds.length} kernels (${(performance.now() - t0) / 1000}s)`);
          per.push(await search(device, c, i, 1, storage, batch, scheds.map((s) => () => FAMILIES[s.family].forOp(op).emit(s, contextFor(c, `op${i}`, i, storage)))));
        }
        const best = per.map((p) => p[0]);
        let chain: object | undefined;
        if (best.every((b) => Number.isFinite(b.ms))) {
          const ks = best.map((b, i) => FAMILIES[b.schedule.family].forOp(c.ops[i]).emit(b.schedule, contextFor(c, `op${i}`, i, storage)));
          const t = await timeChain(device, c, storage, batch, ks, TIMING);
          const again = await timeChain(device, c, storage, batch, ks, TIMING);
          chain = { ms: t.medianMs, minMs: t.minMs, spread: t.spread, repeatMs: again.medianMs };
          log(`  two-kernel chain: ${t.medianMs.toFixed(4)} ms, again ${again.medianMs.toFixed(4)} ms`);
        }
        records.push({ ...base, variant: 'two-kernel', chain, best, all: per });
        writeRecords();
        if (!FUSED) continue;
        const fusedScheds = [pairDefaultSchedule(op0, op1, limits), ...(PLAN ? [] : sample(pairCandidates(op0, op1, limits), Math.ceil(SAMPLES / 2)))].filter((s) => s !== undefined);
        log(`${c.name} ${storage} fused: ${fusedScheds.length} kernels`);
        const fused = await search(device, c, 0, 2, storage, batch, fusedScheds.map((s) => () => emitPair(op0, op1, s, contextFor(c, 'fused', 0, storage))));
        records.push({ ...base, variant: 'fused', best: fused[0], all: fused });
        if (storage === 'f16') {
          // Both factors on tensor cores in one kernel (ks-pair-sgmat): its default and a sample
          // of its schedules, or the plan's (key `<size>/f16/pair-sgmat`).
          const all = pairSgmatCandidates(op0, op1, limits);
          const wanted = PLAN?.[`${size}/f16/pair-sgmat`]?.map((s) => JSON.stringify(s));
          const chosen = wanted ? all.filter((s) => wanted.includes(JSON.stringify(s))) : sample(all, SAMPLES);
          const sgScheds = [...new Map([pairSgmatDefault(op0, op1, limits), ...chosen].flatMap((s) => (s ? [[JSON.stringify(s), s] as const] : []))).values()];
          log(`${c.name} ${storage} fused on tensor cores: ${sgScheds.length} kernels`);
          if (sgScheds.length > 0) {
            const timed = await search(device, c, 0, 2, storage, batch, sgScheds.map((s) => () => emitPairSgmat(op0, op1, s, contextFor(c, 'pairsg', 0, storage))));
            records.push({ ...base, variant: 'fused-sgmat', best: timed[0], all: timed });
            writeRecords();
          }
        }
      }
    }

  if (ONLY !== 'monarch') {
    const n = 4096;
    const batch = 4096;
    const c = denseCase(n, n);
    const op = c.ops[0];
    for (const storage of dtypes) {
      const fams = [FAMILIES[storage === 'f16' ? ksSgmat.name : ksTiled.name]];
      const all = fams.flatMap((f) => f.forOp(op).candidates(limits));
      const big = storage === 'f32' ? all.filter((s) => (s.rr as number) * (s.rb as number) >= 32 && (s.rows as number) >= 64 && (s.cols as number) >= 64) : all;
      const scheds = PLAN ? planned(fams, op, limits, PLAN[`dense/${storage}`] ?? []) : [fams[0].forOp(op).defaultSchedule(limits), ...sample(big, SAMPLES)];
      log(`${c.name} ${storage}: ${scheds.length} kernels`);
      const timed = await search(device, c, 0, 1, storage, batch, scheds.map((s) => () => FAMILIES[s.family].forOp(op).emit(s, contextFor(c, 'dense', 0, storage))));
      records.push({ op: 'dense', n, m: n, batch, dtype: storage, flops: 2 * batch * n * n, variant: fams[0].name, best: timed[0], all: timed });
    }
  }
  if (OUT_FILE) writeRecords();
  else process.stdout.write(recordsJson());
  device.destroy();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
