/**
 * Session 31 (issue 11's f32 targets): can f32 Monarch factors use the tensor cores by splitting each f32 value into
 * two halves (bench/split-f16.ts)? Times, in one list, Monarch n's first factor K(k, q, p, 1) (n = 4096: K(64, 64, 64, 1))
 * at one batch: the f32 default (families.ts defaultSchedule without subgroup matrices: ks-tiled), the f16 default
 * (ks-sgmat, f16 in and out), then the split probes (f32 in and out; splitSchedules), and the f32 default again last
 * (drift). Every kernel is checked against the float64 reference of its op (the checked rows of
 * --batch, and 37 rows all checked; f32 within 1e-5, f16 within 3e-3) before it is timed; one-product kernels are timed
 * whatever their error and never a result. One JSON object on --out (rewritten after each entry), one line per entry on stderr.
 *
 *   node dist/bench/split-f16-probe.js [--n 4096] [--batch 16384] [--only REGEX] [--repeats 20] [--warmup-ms 300]
 *        [--deadline-s 50] [--out FILE]
 * --only: the split probes whose label matches REGEX (the f32 and f16 defaults always run).
 */
import { writeFileSync } from 'node:fs';
import { nodeGpu } from './node-gpu.js';
import { checkCase, contextFor, monarchCase, type OpsCase } from './cases.js';
import { splitF16Kernel, splitSharedBytes, type SplitF16Schedule } from './split-f16.js';
import { defaultSchedule, emitKernel } from '../src/codegen/wgsl/families.js';
import { SUBGROUP_MATRIX_FEATURE } from '../src/codegen/wgsl/fast/ks-sgmat.js';
import type { EmittedKernel, TargetLimits } from '../src/codegen/wgsl/kernel.js';
import type { StorageType } from '../src/codegen/wgsl/scaffold.js';
import type { KsOp } from '../src/ir/ir.js';
import { deviceTargetLimits } from '../src/runtime/device.js';
import { KernelCheck } from '../src/tuner/kernel-check.js';
import { adapterIdentity } from '../src/tuner/adapter-identity.js';

const argv = process.argv.slice(2);
const arg = (flag: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const N = Number(arg('--n') ?? 4096);
const BATCH = Number(arg('--batch') ?? 16384);
const REPEATS = Number(arg('--repeats') ?? 20);
const WARMUP_MS = Number(arg('--warmup-ms') ?? 300);
const OUT_FILE = arg('--out');
const ONLY = new RegExp(arg('--only') ?? '');
/** No entry is started after this many seconds (what was measured is written). */
const DEADLINE_S = Number(arg('--deadline-s') ?? 50);
const ODD_BATCH = 37;
const TOLERANCE: Record<StorageType, number> = { f32: 1e-5, f16: 3e-3 };
const log = (msg: string) => process.stderr.write(msg + '\n');

interface Entry {
  readonly label: string;
  readonly storage: StorageType;
  /** Timed whatever its error (a floor, not a result). */
  readonly floor?: boolean;
  readonly kernel: () => EmittedKernel;
  readonly schedule: object;
}

interface Timed {
  readonly ms?: number;
  readonly spread?: number;
  readonly relErr?: number;
  readonly error?: string;
}

/** The float64 checks of op 0 of `c` in one storage type (at `batch`, and 37 rows all checked), made once for every entry. */
interface Checks {
  readonly full: KernelCheck;
  readonly odd: KernelCheck;
}

function checksFor(device: GPUDevice, c: OpsCase, storage: StorageType, batch: number): Checks {
  return { full: KernelCheck.create(device, checkCase(c, 0, 1, storage, batch, 16)), odd: KernelCheck.create(device, checkCase(c, 0, 1, storage, ODD_BATCH, ODD_BATCH)) };
}

/** Checks the entry's kernel against float64, then times it alone at the checks' batch. */
async function checkAndTime(checks: Checks, e: Entry): Promise<Timed> {
  try {
    const k = e.kernel();
    const relErr = Math.max(await checks.full.check(k), await checks.odd.check(k));
    if (!(relErr < TOLERANCE[e.storage]) && !e.floor) return { relErr, error: 'REJECTED: relative error over tolerance' };
    const t = await checks.full.time(k, { repeats: REPEATS, warmupMs: WARMUP_MS });
    return { ms: t.medianMs, spread: t.spread, relErr };
  } catch (err) {
    return { error: (err as Error).message.slice(0, 300) };
  }
}

/**
 * The split probes of op: ks-sgmat's wide tiles (4 x 2 subgroups of 64 x 32 in chunks of 16 γ, n = 4096's; 2 x 4 in
 * chunks of 16 and 32 where b ≥ 128, the wider factors'), then tiles holding the whole reduction in one chunk (tk = c:
 * 64 x 64 on 2 x 2 subgroups of 32 x 32, 128 x 32 on 2 x 1 of 64 x 32; 4 x 1 of 32 x 32 takes 2 KiB more than 48, and
 * c = 128 fits neither), each unscaled, with xh·wh only (its floor), scaled per tile and scaled per row (in chunks: from
 * a pre-scan; in one chunk: from its loads, all in registers before the split stores); those that fit the adapter.
 */
function splitSchedules(op: KsOp, limits: TargetLimits): SplitF16Schedule[] {
  const base = { family: 'split-f16-probe', pad: 8, terms: 3, scale: 'none' } as const;
  const wide: SplitF16Schedule[] = [
    { ...base, rows: 64, cols: 32, sg: 4, sgc: 2, tk: 16 },
    { ...base, rows: 64, cols: 32, sg: 2, sgc: 4, tk: 16 },
    { ...base, rows: 64, cols: 32, sg: 2, sgc: 4, tk: 32 },
  ];
  const whole: SplitF16Schedule[] = [
    { ...base, rows: 32, cols: 32, sg: 2, sgc: 2, tk: op.c },
    { ...base, rows: 64, cols: 32, sg: 2, sgc: 1, tk: op.c },
  ];
  return [...wide, ...whole]
    .flatMap((s): SplitF16Schedule[] => [s, { ...s, terms: 1 }, { ...s, scale: 'tile' }, { ...s, scale: 'row' }])
    .filter((s) => fits(op, s, limits));
}

function fits(op: KsOp, s: SplitF16Schedule, limits: TargetLimits): boolean {
  const wr = s.sg * s.rows;
  const wc = s.sgc * s.cols;
  return op.d === 1 && op.b % wc === 0 && op.c % s.tk === 0 && wr > 0 && 32 * s.sg * s.sgc <= limits.maxWorkgroupSize && splitSharedBytes(s) <= limits.maxWorkgroupStorageBytes;
}

const show = (t: Timed) => (t.ms !== undefined ? `${t.ms.toFixed(4)} ms ±${((t.spread ?? 0) * 100).toFixed(1)}% err ${t.relErr?.toExponential(1) ?? '-'}` : `${t.error} ${t.relErr ?? ''}`);

async function main(): Promise<void> {
  const { adapter, device } = await nodeGpu();
  device.addEventListener('uncapturederror', (e) => log(`uncaptured: ${(e as GPUUncapturedErrorEvent).error.message}`));
  const all = deviceTargetLimits(device);
  const identity = adapterIdentity(adapter, device);
  log(`adapter: ${JSON.stringify(identity)}`);
  const c = monarchCase(N, N, Math.round(Math.sqrt(N)));
  const op0 = c.ops[0];
  const f32Limits = { ...all, features: all.features.filter((f) => f !== SUBGROUP_MATRIX_FEATURE) };
  const tensorCores = all.features.includes('shader-f16') && all.features.includes(SUBGROUP_MATRIX_FEATURE);
  const f32Default = defaultSchedule(op0, f32Limits);
  const f32Entry: Entry = { label: 'f32 default', storage: 'f32', schedule: f32Default, kernel: () => emitKernel(op0, f32Default, contextFor(c, 'op0', 0, 'f32')) };
  const entries: Entry[] = [f32Entry];
  if (tensorCores) {
    const f16Default = defaultSchedule(op0, all);
    entries.push({ label: 'f16 default', storage: 'f16', schedule: f16Default, kernel: () => emitKernel(op0, f16Default, contextFor(c, 'op0', 0, 'f16')) });
  }
  for (const s of tensorCores ? splitSchedules(op0, all) : []) {
    const label = `split ${s.sg}x${s.sgc} of ${s.rows}x${s.cols} tk ${s.tk} ${s.scale === 'none' ? 'unscaled' : `scaled per ${s.scale}`}${s.terms === 1 ? ' xh*wh only' : ''}`;
    if (ONLY.test(label)) entries.push({ label, storage: 'f32', floor: s.terms === 1, schedule: s, kernel: () => splitF16Kernel(op0, s, contextFor(c, 'op0', 0, 'f32')) });
  }
  entries.push({ ...f32Entry, label: 'f32 default again' });
  log(`${c.name} op0 K(${op0.a},${op0.b},${op0.c},${op0.d}) B=${BATCH}: ${entries.length} entries${tensorCores ? '' : ' (no shader-f16 + subgroup matrices here: the split and f16 kernels are skipped)'}`);
  const records: object[] = [];
  const write = () => OUT_FILE && writeFileSync(OUT_FILE, JSON.stringify({ adapter: identity, limits: all, date: new Date().toISOString(), n: N, batch: BATCH, repeats: REPEATS, warmupMs: WARMUP_MS, records }, null, 1) + '\n');
  const t0 = performance.now();
  const checks = new Map<StorageType, Checks>();
  for (const e of entries) {
    if (performance.now() - t0 > DEADLINE_S * 1000) {
      log(`  ${e.label}: skipped (past --deadline-s ${DEADLINE_S})`);
      continue;
    }
    let storageChecks = checks.get(e.storage);
    if (storageChecks === undefined) checks.set(e.storage, (storageChecks = checksFor(device, c, e.storage, BATCH)));
    const timed = await checkAndTime(storageChecks, e);
    log(`  ${e.label}: ${show(timed)}`);
    records.push({ label: e.label, storage: e.storage, floor: e.floor === true, schedule: e.schedule, ...timed });
    write();
  }
  if (!OUT_FILE) process.stdout.write(JSON.stringify({ adapter: identity, records }, null, 1) + '\n');
  log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (const k of checks.values()) {
    k.full.destroy();
    k.odd.destroy();
  }
  device.destroy();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
