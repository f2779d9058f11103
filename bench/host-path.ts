/**
 * The host round trip of monarch(nblocks: 64), n = 4096, f32, untuned kernels, by batch, in four
 * modes (wall-clock milliseconds per call, median of --repeats calls after --warmup calls; each
 * mode's first result is checked against the float64 program executor, relative error < 1e-5):
 * `fresh` = `forward(x)` (a new result array per call), `out` = `forward(x, { out })` (the
 * caller's array, reused), `staging` = `input()`, copying x into the lent view, `run()` (result
 * read in place), `stagingRun` = `run()` alone (a caller that produces its input in the view).
 * Then where the time goes, each phase alone (median of --repeats): upload through a mapped
 * MAP_WRITE buffer, upload through queue.writeBuffer, the kernels, the copy to a MAP_READ buffer
 * and its mapping, getMappedRange, and copying the mapped bytes into a JS array. One JSON object
 * on --out (else stdout).
 */
import { writeFileSync } from 'node:fs';
import { nodeGpu } from './node-gpu.js';
import { compileKernels } from '../src/compile-kernels.js';
import { executeProgram } from '../src/runtime/cpu-executor.js';
import { MapRunner } from '../src/runtime/map-runner.js';
import { packParams } from '../src/runtime/params.js';
import { mulberry32 } from '../src/util/random.js';

const argv = process.argv.slice(2);
const arg = (flag: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const BATCHES = (arg('--batches') ?? '1,512,4096').split(',').map(Number);
const REPEATS = Number(arg('--repeats') ?? 30);
const WARMUP = Number(arg('--warmup') ?? 10);
/** Rows checked against the float64 executor (all of them below this). */
const CHECK_ROWS = 64;
const SPEC = 'module host\nmap m : 4096 -> 4096 = monarch(nblocks: 64)\n';

function randomArray(n: number, random: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => random() * 2 - 1);
}

function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / scale;
}

async function median(times: number, body: () => Promise<void>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await body();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

/** Each phase of the round trip alone, in milliseconds (median). */
async function phases(device: GPUDevice, runner: MapRunner, x: Float32Array, batch: number, outSize: number): Promise<Record<string, number>> {
  const xBytes = x.byteLength;
  const yBytes = batch * outSize * 4;
  const usage = GPUBufferUsage;
  const xs = device.createBuffer({ size: xBytes, usage: usage.STORAGE | usage.COPY_DST });
  const ys = device.createBuffer({ size: yBytes, usage: usage.STORAGE | usage.COPY_SRC });
  const upload = device.createBuffer({ size: xBytes, usage: usage.MAP_WRITE | usage.COPY_SRC });
  const readback = device.createBuffer({ size: yBytes, usage: usage.MAP_READ | usage.COPY_DST });
  const submit = async (record: (e: GPUCommandEncoder) => void) => {
    const e = device.createCommandEncoder();
    record(e);
    device.queue.submit([e.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  const out: Record<string, number> = {};
  const n = Math.max(5, Math.floor(REPEATS / 2));
  out.emptySubmitMs = await median(n, () => submit(() => undefined));
  out.mapWriteMs = await median(n, async () => {
    await upload.mapAsync(GPUMapMode.WRITE);
    upload.unmap();
  });
  out.fillMappedMs = await median(n, async () => {
    await upload.mapAsync(GPUMapMode.WRITE);
    const t = performance.now();
    new Float32Array(upload.getMappedRange()).set(x);
    out.fillOnlyMs = Math.min(out.fillOnlyMs ?? Infinity, performance.now() - t);
    upload.unmap();
  });
  out.copyUploadMs = await median(n, () => submit((e) => e.copyBufferToBuffer(upload, 0, xs, 0, xBytes)));
  out.writeBufferMs = await median(n, async () => {
    device.queue.writeBuffer(xs, 0, x as Float32Array<ArrayBuffer>);
    await device.queue.onSubmittedWorkDone();
  });
  out.kernelsMs = await median(n, () => submit((e) => runner.encodeForward(e, xs, ys, batch)));
  out.copyReadbackMs = await median(n, () => submit((e) => e.copyBufferToBuffer(ys, 0, readback, 0, yBytes)));
  out.mapReadMs = await median(n, async () => {
    await readback.mapAsync(GPUMapMode.READ);
    readback.unmap();
  });
  const readParts = { range: [] as number[], copy: [] as number[] };
  for (let i = 0; i < n; i++) {
    await readback.mapAsync(GPUMapMode.READ);
    const t0 = performance.now();
    const range = readback.getMappedRange();
    const t1 = performance.now();
    new Float32Array(range).slice();
    const t2 = performance.now();
    readback.unmap();
    readParts.range.push(t1 - t0);
    readParts.copy.push(t2 - t1);
  }
  for (const [k, v] of Object.entries(readParts)) out[`${k === 'range' ? 'getMappedRange' : 'copyMappedToJs'}Ms`] = v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  for (const b of [xs, ys, upload, readback]) b.destroy();
  return out;
}

async function main(): Promise<void> {
  const { device } = await nodeGpu();
  const result = compileKernels(SPEC, 'host.mon');
  if (!result.outputs || !result.programs) throw new Error(result.diagnostics.map((d) => d.message).join('; '));
  const map = result.outputs.manifest.maps[0];
  const program = result.programs[0];
  const runner = await MapRunner.create(map, result.outputs.wgsl, { device });
  const random = mulberry32(7);
  const tensors = new Map(map.params.map((p) => [p.name, randomArray(p.shape.reduce((a, b) => a * b, 1), random).map((v) => v / 8)]));
  runner.loadParams(tensors);
  const packed = packParams(map.params, map.paramSize, tensors);
  const records = [];
  for (const batch of BATCHES) {
    const x = randomArray(batch * map.in, random);
    const rows = Math.min(batch, CHECK_ROWS);
    const want = executeProgram(program, packed, x.subarray(0, rows * map.in), rows);
    const check = (mode: string, y: Float32Array) => {
      const relError = relativeError(y.subarray(0, rows * map.out), want);
      if (!(relError < 1e-5)) throw new Error(`batch ${batch}, ${mode}: relative error ${relError}`);
      return relError;
    };
    const out = new Float32Array(batch * map.out);
    const staging = runner.createStaging(batch);
    // One round trip of each mode; `timed` brackets the part that counts.
    const modes: Record<string, (timed: (body: () => Promise<Float32Array>) => Promise<Float32Array>) => Promise<Float32Array>> = {
      // A fresh result array per call (the plain API).
      fresh: (timed) => timed(() => runner.forward(x, batch)),
      // The caller's array, reused.
      out: (timed) => timed(() => runner.forward(x, { batch, out })),
      // Mapped views: the caller copies its x into the lent input view; the result view is read in place.
      staging: (timed) =>
        timed(async () => {
          (await staging.input(batch)).set(x);
          return staging.run();
        }),
      // The same, counting only run(): the caller produced its input in the view itself.
      stagingRun: async (timed) => {
        (await staging.input(batch)).set(x);
        return timed(() => staging.run());
      },
    };
    const modeMs: Record<string, { medianMs: number; minMs: number; maxMs: number; relError: number }> = {};
    for (const [mode, once] of Object.entries(modes)) {
      const relError = check(mode, await once((body) => body()));
      for (let i = 0; i < WARMUP; i++) await once((body) => body());
      const samples: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        await once(async (body) => {
          const t = performance.now();
          const y = await body();
          samples.push(performance.now() - t);
          return y;
        });
      }
      samples.sort((p, q) => p - q);
      modeMs[mode] = { medianMs: samples[Math.floor(samples.length / 2)], minMs: samples[0], maxMs: samples[samples.length - 1], relError };
    }
    staging.destroy();
    const phaseMs = await phases(device, runner, x, batch, map.out);
    const record = { batch, medianMs: modeMs.fresh.medianMs, modeMs, checkedRows: rows, phaseMs };
    process.stderr.write(`${JSON.stringify(record)}\n`);
    records.push(record);
  }
  runner.destroy();
  const json = JSON.stringify({ spec: SPEC, kernels: map.kernels.map((k) => k.schedule), repeats: REPEATS, warmup: WARMUP, date: new Date().toISOString(), records }, null, 1) + '\n';
  if (arg('--out')) writeFileSync(arg('--out')!, json);
  else process.stdout.write(json);
  device.destroy();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
