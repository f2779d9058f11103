/**
 * Reproducibility check of the timing method: one kernel (the fused Monarch, default schedule)
 * timed several times with timestamp queries and with wall-clock over many submissions, in the
 * same buffers and in fresh ones. Prints JSON.
 *   node dist/bench/repro.js [n] [nblocks] [batch]
 */
import { nodeGpu } from './node-gpu.js';
import { checkCase, contextFor, monarchCase } from './cases.js';
import { emitPair, pairDefaultSchedule } from '../src/codegen/wgsl/fast/ks-pair-fused.js';
import { KernelCheck } from '../src/runtime/tuner/kernel-check.js';
import { encodeDispatch } from '../src/runtime/tuner/dispatch.js';

async function wallClockMs(device: GPUDevice, encode: (p: GPUComputePassEncoder) => void, iterations: number): Promise<number> {
  const enc0 = device.createCommandEncoder();
  const p0 = enc0.beginComputePass();
  encode(p0);
  p0.end();
  device.queue.submit([enc0.finish()]);
  await device.queue.onSubmittedWorkDone();
  const t0 = performance.now();
  const enc = device.createCommandEncoder();
  for (let i = 0; i < iterations; i++) {
    const p = enc.beginComputePass();
    encode(p);
    p.end();
  }
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  return (performance.now() - t0) / iterations;
}

async function main(): Promise<void> {
  const [n, k, batch] = process.argv.slice(2).map(Number);
  const { adapter, device } = await nodeGpu();
  const limits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: adapter.limits.maxComputeWorkgroupStorageSize, features: [] };
  const c = monarchCase(n || 1024, n || 1024, k || 32);
  const [op0, op1] = c.ops;
  const kernel = emitPair(op0, op1, pairDefaultSchedule(op0, op1, limits)!, contextFor(c, 'fused', 0, 'f32'));
  const out: object[] = [];
  for (let setup = 0; setup < 3; setup++) {
    const check = KernelCheck.create(device, checkCase(c, 0, 2, 'f32', batch || 16384, 8));
    const err = await check.check(kernel);
    const d = await check.prepare(kernel);
    for (let rep = 0; rep < 3; rep++) {
      const ts = await check.time(kernel, { repeats: 20 });
      const wall = await wallClockMs(device, (p) => encodeDispatch(p, d), 50);
      out.push({ setup, rep, relErr: err, timestampMedianMs: ts.medianMs, timestampMin: ts.minMs, wallClockMs: wall });
      process.stderr.write(JSON.stringify(out[out.length - 1]) + '\n');
    }
    check.destroy();
  }
  process.stdout.write(JSON.stringify({ schedule: kernel.schedule, results: out }, null, 1) + '\n');
  device.destroy();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
