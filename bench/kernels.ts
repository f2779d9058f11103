/**
 * Kernel benchmark on the current GPU: the fused Monarch kernel (ks-pair-fused), the two-kernel
 * Monarch (ks-tiled per factor) and the tiled dense matmul, each over a sample of its schedule
 * space. Every schedule's output is checked against the float64 reference (first and last rows)
 * before it is timed; failing ones are reported and never timed. Times: timestamp queries, median
 * of repeated runs. Prints one JSON object on stdout, progress on stderr.
 *
 *   node dist/bench/kernels.js [--quick] [--candidates K] [--dtypes f32,f16] [--only monarch|dense]
 */
import { nodeGpu } from './node-gpu.js';
import { checkCase, contextFor, denseCase, monarchCase, type OpsCase } from './cases.js';
import { ksTiled } from '../src/codegen/wgsl/fast/ks-tiled.js';
import { emitPair, pairCandidates, pairDefaultSchedule } from '../src/codegen/wgsl/fast/ks-pair-fused.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../src/codegen/wgsl/kernel.js';
import { KernelCheck } from '../src/runtime/tuner/kernel-check.js';
import type { StorageType } from '../src/codegen/wgsl/scaffold.js';
import { adapterIdentity } from '../src/runtime/tuner/adapter-identity.js';

interface Args {
  readonly candidates: number;
  readonly dtypes: StorageType[];
  readonly only?: string;
  readonly quick: boolean;
  /** Only these Monarch sizes n (comma-separated). */
  readonly sizes?: number[];
  /** Candidates for the fused kernel (default: --candidates). */
  readonly fusedCandidates?: number;
}

function parseArgs(argv: string[]): Args {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    candidates: Number(get('--candidates') ?? 8),
    dtypes: (get('--dtypes') ?? 'f32,f16').split(',') as StorageType[],
    only: get('--only'),
    quick: argv.includes('--quick'),
    sizes: get('--sizes')?.split(',').map(Number),
    fusedCandidates: get('--fused-candidates') ? Number(get('--fused-candidates')) : undefined,
  };
}

function sample<T>(all: readonly T[], count: number): T[] {
  if (all.length <= count) return [...all];
  const step = (all.length - 1) / (count - 1);
  return [...new Set(Array.from({ length: count }, (_, i) => all[Math.round(i * step)]))];
}

/** Register tiles of at least 32 outputs per thread: the part of the space worth device time. */
function promising(all: readonly Schedule[]): Schedule[] {
  const big = all.filter((s) => (s.rr as number) * (s.rb as number) >= 32);
  return big.length > 0 ? big : [...all];
}

const log = (msg: string) => process.stderr.write(msg + '\n');

interface Timed {
  readonly schedule: Schedule;
  readonly ms: number;
  readonly spread: number;
  readonly relErr: number;
}

/** Checks then times each kernel; returns all results, fastest first (failures have ms = Infinity). */
async function search(device: GPUDevice, c: OpsCase, first: number, count: number, storage: StorageType, batch: number, kernels: EmittedKernel[], repeats: number): Promise<Timed[]> {
  const check = KernelCheck.create(device, checkCase(c, first, count, storage, batch, 32));
  const tol = storage === 'f16' ? 3e-3 : 1e-5;
  const out: Timed[] = [];
  try {
    for (const k of kernels) {
      try {
        const relErr = await check.check(k);
        if (!(relErr < tol)) {
          log(`  REJECT ${JSON.stringify(k.schedule)} relErr=${relErr}`);
          out.push({ schedule: k.schedule, ms: Infinity, spread: 0, relErr });
          continue;
        }
        const t = await check.time(k, { warmup: 3, repeats });
        log(`  ${t.medianMs.toFixed(4)} ms ±${(t.spread * 100).toFixed(1)}% ${JSON.stringify(k.schedule)}`);
        out.push({ schedule: k.schedule, ms: t.medianMs, spread: t.spread, relErr });
      } catch (e) {
        log(`  ERROR ${JSON.stringify(k.schedule)}: ${(e as Error).message.slice(0, 300)}`);
      }
    }
  } finally {
    check.destroy();
  }
  return out.sort((a, b) => a.ms - b.ms);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { adapter, device } = await nodeGpu();
  device.addEventListener('uncapturederror', (e) => log(`uncaptured: ${(e as GPUUncapturedErrorEvent).error.message}`));
  const limits: TargetLimits = {
    maxWorkgroupSize: Math.min(adapter.limits.maxComputeInvocationsPerWorkgroup, 1024),
    maxWorkgroupStorageBytes: adapter.limits.maxComputeWorkgroupStorageSize,
    features: [...device.features],
  };
  const identity = adapterIdentity(adapter, device);
  log(`adapter: ${JSON.stringify(identity)}`);
  const dtypes = args.dtypes.filter((d) => d === 'f32' || device.features.has('shader-f16'));
  const monarchs = ((args.quick ? [[256, 16, 64]] : [[1024, 32, 16384], [4096, 64, 16384], [16384, 128, 4096]]) as [number, number, number][]).filter(([n]) => !args.sizes || args.sizes.includes(n));
  const denses: [number, number][] = args.quick ? [[128, 64]] : [[1024, 16384], [4096, 4096]];
  const records: object[] = [];
  const repeats = args.quick ? 5 : 15;

  if (args.only !== 'dense')
    for (const [n, k, batch] of monarchs) {
      const c = monarchCase(n, n, k);
      const [op0, op1] = c.ops;
      for (const storage of dtypes) {
        const bytes = batch * (c.in + c.out) * (storage === 'f16' ? 2 : 4);
        const base = { op: 'monarch', n, m: n, nblocks: k, batch, dtype: storage, flops: batch * c.flopsPerRow, bytes };
        log(`${c.name} batch=${batch} ${storage}: fused`);
        const fusedSchedules = [pairDefaultSchedule(op0, op1, limits)!, ...sample(pairCandidates(op0, op1, limits), args.fusedCandidates ?? args.candidates)];
        const fused = await search(device, c, 0, 2, storage, batch, fusedSchedules.map((s) => emitPair(op0, op1, s, contextFor(c, 'fused', 0, storage))), repeats);
        const parts: Timed[][] = [];
        for (const [i, op] of [op0, op1].entries()) {
          log(`${c.name} batch=${batch} ${storage}: op${i} ks-tiled`);
          const schedules = [ksTiled.defaultSchedule(op, limits), ...sample(promising(ksTiled.candidates(op, limits)), args.candidates)];
          parts.push(await search(device, c, i, 1, storage, batch, schedules.map((s) => ksTiled.emit(op, s, contextFor(c, `op${i}`, i, storage))), repeats));
        }
        // Re-time the winner in a fresh setup: a figure that does not reproduce is not reported as best.
        const confirm = await search(device, c, 0, 2, storage, batch, [emitPair(op0, op1, fused[0].schedule, contextFor(c, 'fused', 0, storage))], repeats);
        log(`  confirm best fused: ${confirm[0]?.ms}`);
        records.push({ ...base, variant: 'fused', confirmMs: confirm[0]?.ms, best: fused[0], default: fused.find((t) => t.schedule === fusedSchedules[0]), all: fused });
        records.push({ ...base, variant: 'two-kernel', ms: parts[0][0].ms + parts[1][0].ms, best: parts.map((p) => p[0]), all: parts });
      }
    }

  if (args.only !== 'monarch')
    for (const [n, batch] of denses) {
      const c = denseCase(n, n);
      const op = c.ops[0];
      for (const storage of dtypes) {
        log(`${c.name} batch=${batch} ${storage}: ks-tiled`);
        const schedules = [ksTiled.defaultSchedule(op, limits), ...sample(promising(ksTiled.candidates(op, limits)), args.candidates)];
        const timed = await search(device, c, 0, 1, storage, batch, schedules.map((s) => ksTiled.emit(op, s, contextFor(c, 'dense', 0, storage))), Math.min(repeats, 7));
        const bytes = batch * 2 * n * (storage === 'f16' ? 2 : 4) + n * n * (storage === 'f16' ? 2 : 4);
        records.push({ op: 'dense', n, m: n, batch, dtype: storage, flops: batch * c.flopsPerRow, bytes, variant: 'ks-tiled', best: timed[0], all: timed });
      }
    }
  process.stdout.write(JSON.stringify({ adapter: identity, limits, date: new Date().toISOString(), records }, null, 1) + '\n');
  device.destroy();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
