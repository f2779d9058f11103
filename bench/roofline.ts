/**
 * What the GPU can do through Dawn (WebGPU on Vulkan, WGSL through Tint), measured: the ceilings
 * monc's kernels are held against in bench/results/HISTORY.md ("Session 9"). Each probe (bench/roofline-probes.ts)
 * is a small hand-written kernel at issue 11's shape (B = 16384 rows of n = 4096, Monarch b = c =
 * 64; f32 and f16), checked against a CPU statement of its output, then timed with timestamp
 * queries (timing.ts's warm-up, then the median of `--repeats` passes, at least 10). Probes whose
 * features the adapter lacks (shader-f16, subgroup matrices: SwiftShader) are reported as skipped.
 * Writes one JSON object (to --out, rewritten after every probe; else stdout), progress on stderr.
 *
 *   node dist/bench/roofline.js [--dry] [--only copy,permute,runs,mma,mma-acc,fma] [--repeats R] [--out f.json] [--no-robustness]
 *
 * --dry: SwiftShader-sized shapes (B = 64 rows of n = 256, b = c = 16; short compute loops).
 * --no-robustness: a device with Dawn's `disable_robustness` toggle (no Tint clamps on any
 *   access, matrix loads included), to price the clamps against a run without the flag.
 */
import { writeFileSync } from 'node:fs';
import { nodeGpu, nodeGpuWithoutRobustness } from './node-gpu.js';
import { copyProbe, fmaProbe, l2Probe, mmaProbe, permuteProbe, runsProbe, type HostData, type Probe, type ProbeGroup } from './roofline-probes.js';
import { hostInput, runProbe } from './roofline-run.js';
import { adapterIdentity } from '../src/tuner/adapter-identity.js';
import { deviceCapabilities } from '../src/runtime/device.js';

const argv = process.argv.slice(2);
const arg = (flag: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const DRY = argv.includes('--dry');
const NO_ROBUSTNESS = argv.includes('--no-robustness');
const REPEATS = Math.max(10, Number(arg('--repeats') ?? 20));
const ONLY = arg('--only')?.split(',') as ProbeGroup[] | undefined;
const OUT_FILE = arg('--out');
const log = (msg: string) => process.stderr.write(msg + '\n');

/** The shapes: issue 11's, or a rehearsal's on SwiftShader. */
const SHAPE = DRY
  ? { batch: 64, b: 16, c: 16, l2Words: 16384, l2Workgroups: 8, mmaWorkgroups: 4, mmaIterations: 8, fmaWorkgroups: 4, fmaIterations: 16 }
  : { batch: 16384, b: 64, c: 64, l2Words: 2 * 1024 * 1024, l2Workgroups: 132 * 64, mmaWorkgroups: 132 * 16, mmaIterations: 2048, fmaWorkgroups: 132 * 32, fmaIterations: 4096 };
const N = SHAPE.b * SHAPE.c;

/** Spec-sheet figures of the H200 SXM, for the fractions in the JSON (bench/results/HISTORY.md's "Session 9" cites the same). */
const H200 = { hbmGBps: 4800, fp32TFlops: 66.9, f16TensorTFlops: 989 };

function probes(): Probe[] {
  const { batch, b, c } = SHAPE;
  const elements = batch * N;
  const list: Probe[] = [];
  for (const workgroupSize of [64, 256, 1024]) for (const perInvocation of [1, 4]) list.push(copyProbe({ dtype: 'f32', elements, workgroupSize, perInvocation }));
  for (const perInvocation of [1, 4, 8]) list.push(copyProbe({ dtype: 'f16', elements, workgroupSize: 256, perInvocation }));
  for (const dtype of ['f32', 'f16'] as const)
    for (const [ti, tj, pad] of [
      [64, 64, 0],
      [64, 64, 1],
      [32, 32, 1],
      [16, 64, 1],
      [16, 16, 1],
    ])
      if (b % ti === 0 && c % tj === 0) list.push(permuteProbe({ dtype, batch, b, c, ti, tj, pad }));
  // The strided factor's δ runs: 16 and 32 bytes (its tiles; f32 also 64 and 128), against whole rows of one γ (d: the control).
  for (const [dtype, runs] of [
    ['f16', [8, 16]],
    ['f32', [4, 8, 16, 32]],
  ] as const)
    for (const run of [...new Set([...runs, c])]) if (c % run === 0) list.push(runsProbe({ dtype, batch, c, d: c, run, rows: 32, workgroupSize: 256 }));
  // L2: an 8 MiB window (the H200's L2 is 50 MiB), read 256 (dry: 4) vec4 at a time per invocation.
  for (const perInvocation of DRY ? [4] : [64, 256]) list.push(l2Probe({ footprint: SHAPE.l2Words, workgroups: SHAPE.l2Workgroups, workgroupSize: 256, perInvocation }));
  const mma = { workgroups: SHAPE.mmaWorkgroups, iterations: SHAPE.mmaIterations };
  for (const subgroups of [4, 8])
    for (const [nl, nr] of [
      [1, 1],
      [2, 2],
      [4, 2],
    ])
      list.push(mmaProbe({ ...mma, left: 'registers', subgroups, nl, nr }));
  for (const barrierEvery of [1, 4]) list.push(mmaProbe({ ...mma, left: 'registers', subgroups: 8, nl: 2, nr: 2, barrierEvery }));
  for (const layout of ['row_major', 'col_major'] as const) for (const stride of [16, 64]) list.push(mmaProbe({ ...mma, left: 'storage', subgroups: 8, nl: 2, nr: 2, layout, stride, period: 4 }));
  for (const [layout, stride] of [
    ['row_major', 16],
    ['row_major', 64],
    ['row_major', 72],
    ['col_major', 64],
    ['col_major', 16],
  ] as const)
    list.push(mmaProbe({ ...mma, left: 'workgroup', subgroups: 8, nl: 2, nr: 2, layout, stride, period: 4 }));
  // ks-pair-sgmat's pattern, piece by piece (bench/results/s9/pair-sgmat.md): one W tile read from
  // storage column-major (stride c = 64) per MMA; 4 subgroups, 2 MMAs per barrier at its 48 KiB
  // (4 workgroups per SM); the step-1 -> step-2 hand-over with ts rows of 64 (pad 0) and 72 (pad 8)
  // halves, and by columns (its knob tcols).
  for (const [layout, stride] of [
    ['col_major', 64],
    ['row_major', 16],
  ] as const)
    list.push(mmaProbe({ ...mma, left: 'storage', subgroups: 4, nl: 1, nr: 1, layout, stride, period: 4 }));
  list.push(mmaProbe({ ...mma, left: 'registers', subgroups: 4, nl: 1, nr: 1, barrierEvery: 2, reserveBytes: 49152 - 1024 }));
  list.push(mmaProbe({ ...mma, left: 'registers', subgroups: 4, nl: 1, nr: 1, reserveBytes: 49152 - 1024 }));
  for (const stride of [64, 72]) list.push(mmaProbe({ ...mma, left: 'roundtrip', subgroups: 4, nl: 1, nr: 1, stride }));
  list.push(mmaProbe({ ...mma, left: 'roundtrip', subgroups: 4, nl: 1, nr: 1, handoverColumns: true }));
  // Session 30 (issue 11's untuned 4096 -> 1024 f16 build): f32 against f16 result matrices from registers, 8 subgroups
  // (ks-sgmat's 256-invocation workgroups) of 4, 8 and 16 accumulators (its 32 x 32, 64 x 32 and 64 x 64 subgroup tiles),
  // one workgroup per SM (132), two and eight; and 4 x 2 with left tiles from workgroup memory.
  for (const result of ['f32', 'f16'] as const)
    for (const [nl, nr] of [
      [2, 2],
      [4, 2],
      [4, 4],
    ])
      for (const perSm of [1, 2, 8]) list.push(mmaProbe({ left: 'registers', subgroups: 8, nl, nr, result, workgroups: DRY ? perSm : 132 * perSm, iterations: DRY ? 8 : 1024 }));
  // The default's own step: 4 left tiles from workgroup rows of 72 halves (tk 64 + pad 8) for its 4 x 2 accumulators.
  for (const result of ['f32', 'f16'] as const)
    for (const perSm of [1, 2])
      list.push(mmaProbe({ left: 'workgroup', layout: 'row_major', stride: 72, period: 4, subgroups: 8, nl: 4, nr: 2, result, workgroups: DRY ? perSm : 132 * perSm, iterations: DRY ? 8 : 1024 }));
  for (const [workgroupSize, tr, tc] of [
    [256, 4, 4],
    [256, 8, 8],
    [128, 8, 8],
  ])
    list.push(fmaProbe({ workgroupSize, workgroups: SHAPE.fmaWorkgroups, tr, tc, iterations: SHAPE.fmaIterations }));
  return ONLY ? list.filter((p) => ONLY.includes(p.group)) : list;
}

interface ProbeRecord {
  readonly name: string;
  readonly group: ProbeGroup;
  readonly dtype: string;
  readonly params: Probe['params'];
  readonly bytes?: number;
  readonly flops?: number;
  readonly status: 'ok' | 'skipped' | 'failed';
  readonly reason?: string;
  readonly ms?: number;
  readonly minMs?: number;
  readonly spread?: number;
  readonly timing?: string;
  /** bytes / median time (GB/s = 1e9 bytes per second), and its fraction of the H200's spec sheet. */
  readonly GBps?: number;
  readonly ofHbm?: number;
  readonly TFlops?: number;
  readonly ofPeak?: number;
}

async function main(): Promise<void> {
  const { adapter, device } = NO_ROBUSTNESS ? await nodeGpuWithoutRobustness() : await nodeGpu();
  device.addEventListener('uncapturederror', (e) => log(`uncaptured: ${(e as GPUUncapturedErrorEvent).error.message}`));
  const identity = adapterIdentity(adapter, device);
  const features = [...device.features];
  // Which subgroup-matrix shapes the adapter offers (16x8 ones would give f32 results fewer registers a matrix).
  const subgroupMatrixConfigs = deviceCapabilities(device).subgroupMatrixConfigs;
  log(`adapter: ${JSON.stringify(identity)} features: ${features.join(',')} subgroup matrices: ${subgroupMatrixConfigs?.join(', ') ?? 'not reported'}${NO_ROBUSTNESS ? ' (robustness off)' : ''}`);
  const records: ProbeRecord[] = [];
  const json = () =>
    JSON.stringify({ adapter: identity, features, subgroupMatrixConfigs, robustness: !NO_ROBUSTNESS, date: new Date().toISOString(), dry: DRY, shape: { ...SHAPE, n: N }, repeats: REPEATS, specH200: H200, probes: records }, null, 1) + '\n';
  const write = () => {
    if (OUT_FILE) writeFileSync(OUT_FILE, json());
  };
  // Inputs of one shape are the same data for every probe (67M elements take a while to make).
  const inputCache = new Map<string, HostData>();
  const inputsOf = (p: Probe) =>
    p.inputs.map((inp, i) => {
      const key = `${p.dtype}/${inp.elements}/${inp.fill}/${i}`;
      let d = inputCache.get(key);
      if (!d) inputCache.set(key, (d = hostInput(p, i, p.dtype)));
      return d;
    });
  let failed = 0;
  for (const p of probes()) {
    const base = { name: p.name, group: p.group, dtype: p.dtype, params: p.params, bytes: p.bytes, flops: p.flops };
    const missing = p.features.filter((f) => !device.features.has(f));
    const maxInvocations = device.limits.maxComputeInvocationsPerWorkgroup;
    const skip = missing.length > 0 ? `the adapter lacks ${missing.join(', ')}` : p.workgroupSize > maxInvocations ? `workgroup of ${p.workgroupSize} invocations, the adapter allows ${maxInvocations}` : undefined;
    if (skip !== undefined) {
      log(`${p.name}: skipped (${skip})`);
      records.push({ ...base, status: 'skipped', reason: skip });
      write();
      continue;
    }
    try {
      const run = await runProbe(device, p, { inputs: inputsOf(p), repeats: REPEATS });
      if (run.mismatch !== undefined || !run.timing) {
        failed++;
        log(`${p.name}: FAILED check: ${run.mismatch}`);
        records.push({ ...base, status: 'failed', reason: `check: ${run.mismatch}` });
      } else {
        const { stats, method } = run.timing;
        const ms = stats.medianMs;
        const GBps = p.bytes !== undefined ? p.bytes / ms / 1e6 : undefined;
        const TFlops = p.flops !== undefined ? p.flops / ms / 1e9 : undefined;
        const peak = p.group === 'mma' ? H200.f16TensorTFlops : H200.fp32TFlops;
        records.push({
          ...base,
          status: 'ok',
          ms,
          minMs: stats.minMs,
          spread: stats.spread,
          timing: method,
          ...(GBps !== undefined ? { GBps, ofHbm: GBps / H200.hbmGBps } : {}),
          ...(TFlops !== undefined ? { TFlops, ofPeak: TFlops / peak } : {}),
        });
        const figure = GBps !== undefined ? `${GBps.toFixed(0)} GB/s` : `${TFlops!.toFixed(2)} TFLOP/s`;
        log(`${p.name}: ${ms.toFixed(4)} ms ±${(stats.spread * 100).toFixed(1)}% ${figure}`);
      }
    } catch (e) {
      failed++;
      const reason = (e as Error).message.slice(0, 400);
      log(`${p.name}: ERROR ${reason}`);
      records.push({ ...base, status: 'failed', reason });
    }
    write();
  }
  if (!OUT_FILE) process.stdout.write(json());
  device.destroy();
  if (failed > 0) process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
