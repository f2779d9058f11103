/**
 * Does a tiled intermediate (layout-tile.ts) make Monarch's strided factor faster? For each size
 * and storage type: the families' default kernels (families.ts defaultSchedule on this adapter's
 * limits: f32 ks-tiled then ks-dtiled, f16 ks-sgmat then ks-sgmat-strided), once as they are
 * (layout `id`) and once per tile layout with the intermediate's writes (factor 1) and reads
 * (factor 2) moved through σ; for ks-dtiled also with its source staging γ-first (`factor1g`,
 * `chaing`), on both layouts; and, a diagnostic of where the strided factor's time goes, factor 2
 * with its output y tiled too (`factor1o`: y is the user's, so no option within one map). Every
 * kernel is checked against the float64 reference of its op with σ as its
 * index map (B rows sampled, and 37 rows all checked; tolerance 1e-5 f32, 3e-3 f16) before it is
 * timed; the pair is then timed as a chain (two dispatches, one pass). `id` is timed again last
 * (`id2`), for the drift. One JSON object on --out (rewritten after each case), progress on stderr.
 *
 *   node dist/bench/layout-tile-probe.js [--sizes 4096] [--batch 16384] [--batch-16k 4096] [--tiles 8x8,8x16]
 *        [--dtypes f32,f16] [--repeats 20] [--warmup-ms 300] [--deadline-s 50] [--out FILE]
 */
import { writeFileSync } from 'node:fs';
import { nodeGpu } from './node-gpu.js';
import { checkCase, contextFor, monarchCase, type OpsCase } from './cases.js';
import { timeChain } from './chain-timing.js';
import { gammaFirstStaging, relayout, tileMap, type TileLayout } from './layout-tile.js';
import { defaultSchedule, emitKernel } from '../src/codegen/wgsl/families.js';
import { SUBGROUP_MATRIX_FEATURE } from '../src/codegen/wgsl/fast/ks-sgmat.js';
import type { EmittedKernel } from '../src/codegen/wgsl/kernel.js';
import { deviceTargetLimits } from '../src/runtime/device.js';
import type { StorageType } from '../src/codegen/wgsl/scaffold.js';
import type { KsOp } from '../src/ir/ir.js';
import { KernelCheck } from '../src/tuner/kernel-check.js';
import { adapterIdentity } from '../src/tuner/adapter-identity.js';

const argv = process.argv.slice(2);
const arg = (flag: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const SIZES = (arg('--sizes') ?? '4096').split(',').map(Number);
const BATCH = Number(arg('--batch') ?? 16384);
/** n = 16384 at B = 4096, as the device calls run it. */
const BATCH_16K = Number(arg('--batch-16k') ?? 4096);
const TILES: TileLayout[] = (arg('--tiles') ?? '8x8,8x16').split(',').map((t) => {
  const [kt, jt] = t.split('x').map(Number);
  return { kt, jt };
});
const DTYPES = (arg('--dtypes') ?? 'f32,f16').split(',') as StorageType[];
const REPEATS = Number(arg('--repeats') ?? 20);
const WARMUP_MS = Number(arg('--warmup-ms') ?? 300);
const OUT_FILE = arg('--out');
/** No layout is started after this many seconds (what was measured is written). */
const DEADLINE_S = Number(arg('--deadline-s') ?? 50);
const ODD_BATCH = 37;
const log = (msg: string) => process.stderr.write(msg + '\n');

interface Timed {
  readonly ms?: number;
  readonly spread?: number;
  readonly relErr?: number;
  readonly error?: string;
}

/** Checks `k` (computing `op`, the case's op `index` with its maps replaced) and times it alone. */
async function checkAndTime(device: GPUDevice, c: OpsCase, index: number, op: KsOp, storage: StorageType, batch: number, k: EmittedKernel): Promise<Timed> {
  const cs = { ...c, ops: c.ops.map((o, i) => (i === index ? op : o)) };
  const check = KernelCheck.create(device, checkCase(cs, index, 1, storage, batch, 16));
  const odd = KernelCheck.create(device, checkCase(cs, index, 1, storage, ODD_BATCH, ODD_BATCH));
  try {
    const relErr = Math.max(await check.check(k), await odd.check(k));
    if (!(relErr < (storage === 'f16' ? 3e-3 : 1e-5))) return { relErr, error: 'REJECTED: relative error over tolerance' };
    const t = await check.time(k, { repeats: REPEATS, warmupMs: WARMUP_MS });
    return { ms: t.medianMs, spread: t.spread, relErr };
  } catch (e) {
    return { error: (e as Error).message.slice(0, 300) };
  } finally {
    check.destroy();
    odd.destroy();
  }
}

/** The pair as the device runs it (chain-timing.ts), an error recorded rather than thrown. */
async function chainTimed(device: GPUDevice, c: OpsCase, storage: StorageType, batch: number, kernels: readonly EmittedKernel[]): Promise<Timed> {
  try {
    const t = await timeChain(device, c, storage, batch, kernels, { repeats: REPEATS, warmupMs: WARMUP_MS });
    return { ms: t.medianMs, spread: t.spread };
  } catch (e) {
    return { error: (e as Error).message.slice(0, 300) };
  }
}

const show = (t: Timed) => (t.ms !== undefined ? `${t.ms.toFixed(4)} ms ±${((t.spread ?? 0) * 100).toFixed(1)}% err ${t.relErr?.toExponential(1) ?? '-'}` : `${t.error} ${t.relErr ?? ''}`);

async function main(): Promise<void> {
  const { adapter, device } = await nodeGpu();
  device.addEventListener('uncapturederror', (e) => log(`uncaptured: ${(e as GPUUncapturedErrorEvent).error.message}`));
  // What the tuner and tuned builds emit for on this device.
  const all = deviceTargetLimits(device);
  const identity = adapterIdentity(adapter, device);
  log(`adapter: ${JSON.stringify(identity)}`);
  const records: object[] = [];
  const write = () => OUT_FILE && writeFileSync(OUT_FILE, JSON.stringify({ adapter: identity, limits: all, date: new Date().toISOString(), repeats: REPEATS, warmupMs: WARMUP_MS, records }, null, 1) + '\n');
  const t0 = performance.now();
  for (const n of SIZES) {
    const c = monarchCase(n, n, Math.round(Math.sqrt(n)));
    const batch = n >= 16384 ? BATCH_16K : BATCH;
    const [op0, op1] = c.ops as [KsOp, KsOp];
    for (const storage of DTYPES) {
      if (storage === 'f16' && !device.features.has('shader-f16')) continue;
      // f32 builds never take the tensor-core families (they compute in f16).
      const limits = storage === 'f32' ? { ...all, features: all.features.filter((f) => f !== SUBGROUP_MATRIX_FEATURE) } : all;
      const s0 = defaultSchedule(op0, limits);
      const s1 = defaultSchedule(op1, limits);
      const k0 = emitKernel(op0, s0, contextFor(c, 'op0', 0, storage));
      const k1 = emitKernel(op1, s1, contextFor(c, 'op1', 1, storage));
      const staged = s1.family === 'ks-dtiled' ? gammaFirstStaging(k1, s1.tk as number) : undefined;
      log(`${c.name} ${storage} B=${batch}: op0 ${JSON.stringify(s0)} op1 ${JSON.stringify(s1)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      const layouts: [string, TileLayout | undefined][] = [['id', undefined], ...TILES.map((t): [string, TileLayout] => [`${t.kt}x${t.jt}`, t]), ['id2', undefined]];
      for (const [label, t] of layouts) {
        if (performance.now() - t0 > DEADLINE_S * 1000) {
          log(`  ${label}: skipped (past --deadline-s ${DEADLINE_S})`);
          continue;
        }
        const record: Record<string, unknown> = { n, batch, dtype: storage, layout: label, op0: s0, op1: s1 };
        try {
          const map = t && tileMap(op1.c, op1.d, t);
          const l0 = map ? { ...op0, output: map } : op0;
          const l1 = map ? { ...op1, input: map } : op1;
          const kernels = { k0: t ? relayout(k0, 'dst', op1.d, t) : k0, k1: t ? relayout(k1, 'src', op1.d, t) : k1, kg: staged && (t ? relayout(staged, 'src', op1.d, t) : staged) };
          record.factor0 = await checkAndTime(device, c, 0, l0, storage, batch, kernels.k0);
          record.factor1 = await checkAndTime(device, c, 1, l1, storage, batch, kernels.k1);
          if (kernels.kg) record.factor1g = await checkAndTime(device, c, 1, l1, storage, batch, kernels.kg);
          // Diagnostic, not an option within one map (y is the user's): factor 2's writes tiled too, [β, δ] in t's tiles.
          if (t) record.factor1o = await checkAndTime(device, c, 1, { ...l1, output: tileMap(op1.b, op1.d, t) }, storage, batch, relayout(kernels.k1, 'dst', op1.d, t));
          record.chain = await chainTimed(device, c, storage, batch, [kernels.k0, kernels.k1]);
          if (kernels.kg) record.chaing = await chainTimed(device, c, storage, batch, [kernels.k0, kernels.kg]);
        } catch (e) {
          record.error = (e as Error).message.slice(0, 300);
        }
        log(`  ${label}: ${['factor0', 'factor1', 'factor1g', 'factor1o', 'chain', 'chaing'].filter((k) => record[k]).map((k) => `${k} ${show(record[k] as Timed)}`).join(' | ')}${record.error ? ` ERROR ${record.error}` : ''}`);
        records.push(record);
        write();
      }
    }
  }
  if (!OUT_FILE) process.stdout.write(JSON.stringify({ adapter: identity, records }, null, 1) + '\n');
  log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  device.destroy();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
