/**
 * One training step of monarch(nblocks: 64) at n = 4096 (or --n/--nblocks), B = 16384 (--batch):
 * forward + input gradient + parameter gradients (MapRunner.encodeForward + encodeBackward, one
 * submission), and the same plus an Adam update; f32 and f16 (where the adapter has shader-f16).
 * Gradients are first checked against the float64 reference on a small batch. With --tune K the
 * forward and backward kernels are tuned first (K candidates each, as `monc tune --max-candidates
 * K` does) and the step is timed again with the tuned build. Wall clock per step: the median over
 * --repeats rounds of --iters back-to-back steps (GPU-bound, so it is the GPU time per step).
 *
 *   node dist/bench/train-step.js [--n 4096] [--nblocks 64] [--batch 16384] [--tune K] [--dtypes f32,f16] [--out result.json]
 */
import { writeFileSync } from 'node:fs';
import { nodeGpu } from './node-gpu.js';
import { compileKernels, emitModule } from '../src/compile-kernels.js';
import { compileBackward } from '../src/ir/pipeline.js';
import { deviceTargetLimits } from '../src/runtime/device.js';
import { MapRunner } from '../src/runtime/map-runner.js';
import '../src/runtime/training.js'; // the training entry (monc/runtime/training): backward, optimizers
import { referenceBackward } from '../src/runtime/reference-backward.js';
import { adapterIdentity } from '../src/tuner/adapter-identity.js';
import { emptyDb, merge } from '../src/tuner/db.js';
import { scheduleLookup } from '../src/tuner/lookup.js';
import { tuneProgram } from '../src/tuner/tune.js';
import { tuneBackwardProgram } from '../src/tuner/tune-backward.js';
import { f32ArrayToF16 } from '../src/runtime/formats/f16.js';
import type { Manifest } from '../src/manifest/types.js';
import type { Dtype } from '../src/dsl/structure.js';
import { uniform01 } from '../src/util/random.js';

const argv = process.argv.slice(2);
const arg = (flag: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const N = Number(arg('--n') ?? 4096);
const NBLOCKS = Number(arg('--nblocks') ?? 64);
const BATCH = Number(arg('--batch') ?? 16384);
const TUNE = arg('--tune') === undefined ? 0 : Number(arg('--tune'));
const DTYPES = (arg('--dtypes') ?? 'f32,f16').split(',') as Dtype[];
const ITERS = Number(arg('--iters') ?? 10);
const REPEATS = Number(arg('--repeats') ?? 5);
const OUT_FILE = arg('--out');
const log = (msg: string) => process.stderr.write(msg + '\n');

function source(dtype: Dtype): string {
  return `module train\ndtype ${dtype}\nmap m : ${N} -> ${N} = monarch(nblocks: ${NBLOCKS})\n`;
}

/** Median ms per call of `encode` (recorded `ITERS` times per submission round). */
async function timeSteps(device: GPUDevice, encode: (encoder: GPUCommandEncoder) => void): Promise<number> {
  const round = async () => {
    const t0 = performance.now();
    for (let i = 0; i < ITERS; i++) {
      const encoder = device.createCommandEncoder();
      encode(encoder);
      device.queue.submit([encoder.finish()]);
    }
    await device.queue.onSubmittedWorkDone();
    return (performance.now() - t0) / ITERS;
  };
  await round();
  await round();
  const times: number[] = [];
  for (let r = 0; r < REPEATS; r++) times.push(await round());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function randomArray(n: number, seed: number, scale: number): Float32Array {
  const rnd = uniform01(seed);
  return Float32Array.from({ length: n }, () => (2 * rnd() - 1) * scale);
}

/** Relative Frobenius error of the runner's gradients against float64 on a small batch. */
async function checkGradients(runner: MapRunner, params: Map<string, Float32Array>): Promise<number> {
  const batch = 3;
  const x = randomArray(batch * N, 5, 1);
  const dy = randomArray(batch * N, 6, 1);
  const got = await runner.backward(x, dy, batch);
  const want = referenceBackward(runner.map.model, params, x, dy, batch);
  const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let d = 0;
    let s = 0;
    for (let i = 0; i < b.length; i++) {
      d += (a[i] - b[i]) ** 2;
      s += b[i] ** 2;
    }
    return Math.sqrt(d / s);
  };
  return Math.max(rel(got.dx, want.dx), ...[...want.grads].map(([name, g]) => rel(got.grads.get(name)!, g)));
}

async function measure(device: GPUDevice, manifest: Manifest, wgsl: string, dtype: Dtype, storage: Dtype) {
  const runner = await MapRunner.create(manifest.maps[0], wgsl, { device, dtype, training: true });
  const params = new Map(manifest.maps[0].params.map((p, i) => [p.name, randomArray(p.shape.reduce((a, b) => a * b, 1), 10 + i, 1 / Math.sqrt(p.shape[p.shape.length - 1]))]));
  runner.loadParams(params);
  const relErr = await checkGradients(runner, params);
  const elem = storage === 'f16' ? 2 : 4;
  const make = (values: Float32Array) => {
    const data = storage === 'f16' ? f32ArrayToF16(values) : values;
    const buffer = device.createBuffer({ size: Math.ceil(data.byteLength / 16) * 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    device.queue.writeBuffer(buffer, 0, data as Float32Array<ArrayBuffer>);
    return buffer;
  };
  const x = make(randomArray(BATCH * N, 1, 1));
  const dy = make(randomArray(BATCH * N, 2, 1e-3));
  const y = device.createBuffer({ size: BATCH * N * elem, usage: GPUBufferUsage.STORAGE });
  const dx = device.createBuffer({ size: BATCH * N * elem, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  const optimizer = runner.createOptimizer({ kind: 'adam', lr: 1e-4 });
  const forwardMs = await timeSteps(device, (e) => runner.encodeForward(e, x, y, BATCH));
  const backwardMs = await timeSteps(device, (e) => runner.encodeBackward(e, x, dy, dx, BATCH));
  const stepMs = await timeSteps(device, (e) => {
    runner.encodeForward(e, x, y, BATCH);
    runner.encodeBackward(e, x, dy, dx, BATCH);
  });
  const stepAdamMs = await timeSteps(device, (e) => {
    runner.encodeForward(e, x, y, BATCH);
    runner.encodeBackward(e, x, dy, dx, BATCH);
    optimizer.encodeStep(e);
  });
  for (const b of [x, dy, y, dx]) b.destroy();
  runner.destroy();
  const schedules = manifest.maps[0].backward!.kernels.map((k) => k.schedule);
  return { relErr, forwardMs, backwardMs, stepMs, stepAdamMs, forwardKernels: manifest.maps[0].kernels.map((k) => k.schedule), backwardKernels: schedules };
}

async function main() {
  const { adapter, device } = await nodeGpu();
  const identity = adapterIdentity(adapter, device);
  const results: Record<string, unknown> = {};
  // Written after every measurement, so that a run cut short still leaves what it measured.
  const save = () => {
    if (OUT_FILE) writeFileSync(OUT_FILE, JSON.stringify({ adapter: identity, n: N, nblocks: NBLOCKS, batch: BATCH, tune: TUNE, results }, null, 2) + '\n');
  };
  for (const dtype of DTYPES) {
    if (dtype === 'f16' && !device.features.has('shader-f16')) {
      log(`skipping f16: no shader-f16 on this adapter`);
      continue;
    }
    const built = compileKernels(source(dtype), 'train.mon');
    const out = built.outputs!;
    log(`${dtype}: untuned build`);
    const untuned = await measure(device, out.manifest, out.wgsl, dtype, dtype);
    log(JSON.stringify(untuned));
    results[`${dtype}/untuned`] = untuned;
    save();
    if (TUNE > 0) {
      const program = built.programs![0];
      // `known`: the backward program's recomputed forward ops reuse the forward search.
      const options = { batch: BATCH, limits: deviceTargetLimits(device), maxCandidates: TUNE, onProgress: (p: { line: string }) => log(p.line), known: new Map() };
      const fwd = await tuneProgram(device, identity, program, options);
      const bwd = await tuneBackwardProgram(device, identity, compileBackward(program), options);
      const lookup = scheduleLookup(merge(emptyDb(), [...fwd.entries, ...bwd.entries], fwd.retired));
      const tuned = emitModule(built.module!, built.programs!, { tuning: lookup });
      log(`${dtype}: tuned build`);
      const t = await measure(device, tuned.manifest, tuned.wgsl, dtype, dtype);
      log(JSON.stringify(t));
      results[`${dtype}/tuned`] = { ...t, backwardTuning: bwd.kernels.map((k) => ({ ops: k.ops, best: k.best, defaultMs: k.defaultMs })) };
      save();
    }
  }
  if (OUT_FILE) save();
  else process.stdout.write(JSON.stringify({ adapter: identity, n: N, nblocks: NBLOCKS, batch: BATCH, tune: TUNE, results }, null, 2) + '\n');
}

main().then(
  () => process.exit(0),
  (e) => {
    log(String(e instanceof Error ? (e.stack ?? e.message) : e));
    process.exit(1);
  },
);
