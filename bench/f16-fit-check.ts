/**
 * The device check of fitMse in a `dtype f16` module (review finding R15): before the loss scale
 * (src/runtime/gpu-fit-mse.ts lossScale) the f16 DY = 2(Y − T)/(rows·m) was below f16's smallest
 * subnormal for most entries at such sizes, so the gradients vanished and the loss stalled; an
 * f32 module does not. Fits monarch(nblocks) of n -> n to a planted teacher's outputs on `rows`
 * rows, all rows per step, Adam, from the same start, as a `dtype f16` module (f16 storage where
 * the adapter has shader-f16; SwiftShader runs its f32-storage kernels) and as a `dtype f32` one,
 * both on the device (the cpu backend would take minutes at this size). One JSON object on --out
 * (else stdout): the storage the f16 module ran, the loss of each step of both, and the share of
 * the f32 module's loss drop the f16 one achieved. Exit 1 when that share is below 0.8.
 *
 *   node dist/bench/f16-fit-check.js [--n 1024 --nblocks 32 --rows 4096 --steps 50 --lr 1e-3] [--out FILE]
 */
import { writeFileSync } from 'node:fs';
import { nodeGpu } from './node-gpu.js';
import { compileKernels } from '../src/compile-kernels.js';
import { MapRunner } from '../src/runtime/map-runner.js';
import '../src/runtime/training.js';
import type { ManifestMap } from '../src/manifest/types.js';
import { uniform01 } from '../src/util/random.js';

const argv = process.argv.slice(2);
const arg = (flag: string, fallback: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : fallback;
};
const N = Number(arg('--n', '1024'));
const NBLOCKS = Number(arg('--nblocks', '32'));
const ROWS = Number(arg('--rows', '4096'));
const STEPS = Number(arg('--steps', '50'));
const LR = Number(arg('--lr', '1e-3'));
const OUT = arg('--out', '');

/** Parameters uniform in ±sqrt(3/b) (variance 1/b for blocks of b): outputs of about the inputs' size. */
function params(map: ManifestMap, random: () => number): Map<string, Float32Array> {
  const b = N / NBLOCKS;
  const a = Math.sqrt(3 / b);
  return new Map(map.params.map((p) => [p.name, Float32Array.from({ length: p.shape.reduce((x, y) => x * y, 1) }, () => (random() * 2 - 1) * a)]));
}

function compile(dtype: 'f16' | 'f32'): { map: ManifestMap; wgsl: string } {
  const result = compileKernels(`module fit\ndtype ${dtype}\nmap a : ${N} -> ${N} = monarch(nblocks: ${NBLOCKS})\n`, 'fit.mon');
  if (!result.outputs) throw new Error(result.diagnostics.map((d) => d.message).join('; '));
  return { map: result.outputs.manifest.maps[0], wgsl: result.outputs.wgsl };
}

async function main(): Promise<number> {
  const { device } = await nodeGpu();
  const half = compile('f16');
  const single = compile('f32');
  const [f16, f32] = await Promise.all([
    MapRunner.create(half.map, half.wgsl, { backend: 'webgpu', device, dtype: 'f16', training: true }),
    MapRunner.create(single.map, single.wgsl, { backend: 'webgpu', device, dtype: 'f32', training: true }),
  ]);
  const random = uniform01(1);
  const teacher = params(single.map, random);
  const start = params(single.map, random);
  const x = Float32Array.from({ length: ROWS * N }, () => random() * 2 - 1);
  f32.loadParams(teacher);
  const target = await f32.forward(x, ROWS);
  const losses: Record<string, number[]> = {};
  for (const [name, runner] of [['f16', f16], ['f32', f32]] as const) {
    runner.loadParams(start);
    const seen: number[] = [];
    const t0 = performance.now();
    await runner.fitMse(x, target, { steps: STEPS, optimizer: { kind: 'adam', lr: LR }, progressPoints: STEPS, onProgress: (_step, loss) => seen.push(loss) });
    process.stderr.write(`${name}: ${STEPS} steps in ${(performance.now() - t0).toFixed(0)} ms, loss ${seen[0]} -> ${seen[seen.length - 1]}\n`);
    losses[name] = seen;
  }
  const drop = (l: number[]) => l[0] - l[l.length - 1];
  const share = drop(losses.f16) / drop(losses.f32);
  const report = { n: N, nblocks: NBLOCKS, rows: ROWS, steps: STEPS, lr: LR, storage: f16.kernelSet?.storage, adapter: device.adapterInfo?.description ?? '', share, losses };
  const text = JSON.stringify(report) + '\n';
  if (OUT) writeFileSync(OUT, text);
  else process.stdout.write(text);
  process.stderr.write(`the f16 module (${report.storage} storage) reached ${(share * 100).toFixed(1)}% of the f32 module's loss drop\n`);
  f16.destroy();
  f32.destroy();
  return share >= 0.8 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`f16-fit-check: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
