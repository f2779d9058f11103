/**
 * What the host-path benchmarks (host-path.ts, host-stream.ts) share: a timed mode's shape and the
 * runner of a build with its parameters loaded, and the stream of stagings a caller runs through the
 * public API (docs/runtime.md, "Large batches").
 */
import { compileKernels, type TuningLookup } from '../src/compile-kernels.js';
import { defaultSchedule } from '../src/codegen/wgsl/families.js';
import type { Op } from '../src/ir/ir.js';
import { deviceTargetLimits } from '../src/runtime/device.js';
import { MapRunner } from '../src/runtime/map-runner.js';
import { packParams } from '../src/runtime/params.js';
import { mulberry32 } from '../src/util/random.js';

/** One round trip of a mode; `timed` brackets the part that counts. */
export type Mode = (timed: (body: () => Promise<Float32Array>) => Promise<Float32Array>) => Promise<Float32Array>;

/**
 * A stream of `batch` rows in chunks of `rows` through a ring of `depth` stagings (stream:R):
 * chunk i through staging i mod depth, whose input() releases the result of chunk i - depth,
 * read (awaited) first. `fill`: x's rows are copied into each input view in the timed part;
 * otherwise each staging's view keeps the chunk written into it before (setup), and only chunk 0
 * (the checked rows) is its own. The result is the first `checkRows` rows (at most a chunk's), copied from chunk 0's result.
 */
export function stagingStream(runner: MapRunner, x: Float32Array, batch: number, rows: number, fill: boolean, depth: number, checkRows: number): { mode: Mode; destroy: () => void } {
  const { in: n, out: m } = runner;
  const stagings = Array.from({ length: depth }, () => runner.createStaging(rows));
  const checked = new Float32Array(Math.min(batch, checkRows, rows) * m);
  const chunks = Math.ceil(batch / rows);
  const count = (i: number) => Math.min(rows, batch - i * rows);
  let ready = fill;
  const setup = async () => {
    // Each staging's upload buffer holds its first chunk's rows from here on (views are not cleared).
    for (let i = 0; i < Math.min(chunks, stagings.length); i++) {
      (await stagings[i].input(count(i))).set(x.subarray(i * rows * n, (i * rows + count(i)) * n));
      await stagings[i].run();
    }
    ready = true;
  };
  const stream = async () => {
    const inFlight: Promise<Float32Array>[] = [];
    const settle = async (i: number) => {
      const y = await inFlight[i % stagings.length];
      if (i === 0) checked.set(y.subarray(0, checked.length));
    };
    for (let i = 0; i < chunks; i++) {
      if (i >= stagings.length) await settle(i - stagings.length);
      const view = await stagings[i % stagings.length].input(count(i));
      if (fill) view.set(x.subarray(i * rows * n, (i * rows + count(i)) * n));
      inFlight[i % stagings.length] = stagings[i % stagings.length].run();
    }
    for (let i = Math.max(0, chunks - stagings.length); i < chunks; i++) await settle(i);
    return checked;
  };
  const mode: Mode = async (timed) => {
    if (!ready) await setup();
    return timed(stream);
  };
  return { mode, destroy: () => stagings.forEach((s) => s.destroy()) };
}


/** The largest difference over the larger of 1 and the largest magnitude of `want`. */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / scale;
}

export function randomArray(n: number, random: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => random() * 2 - 1);
}

/**
 * What `build` compiles with: nothing (portable, untuned), or each op's untuned default for this
 * device's limits (f32: its features less shader-f16, as the tuner prunes an f32 build's
 * candidates). Fused runs are left to the build's untuned choice.
 */
function buildTuning(build: string, device: GPUDevice): TuningLookup | undefined {
  if (build === 'portable' || build === 'untuned') return undefined;
  if (build !== 'device') throw new Error(`--builds: unknown build '${build}' (portable, untuned, device)`);
  const own = deviceTargetLimits(device);
  const limits = { ...own, features: own.features.filter((f) => f !== 'shader-f16') };
  return (ops) => (ops.length === 1 ? { schedule: defaultSchedule(ops[0] as Op, limits), limits } : undefined);
}

/**
 * A runner of `spec`'s one map with the kernels of `build` (portable, untuned, device: host-path.ts),
 * its random parameters loaded (the same for every build), the program and packed parameters for
 * the float64 check, and the generator the inputs are drawn from after them.
 */
export async function hostRunner(device: GPUDevice, spec: string, build: string) {
  // Forward kernels only (the tuning lookup then sees forward ops alone); the forward kernels are a full build's.
  const result = compileKernels(spec, 'host.mon', { tuning: buildTuning(build, device), forwardOnly: true });
  if (!result.outputs || !result.programs) throw new Error(result.diagnostics.map((d) => d.message).join('; '));
  const built = result.outputs.manifest.maps[0];
  // (portable: the other sets left out, so that every adapter runs the portable kernels.)
  const map = build === 'portable' ? { ...built, kernelSets: built.kernelSets!.filter((s) => s.name === 'portable') } : built;
  const program = result.programs[0];
  const runner = await MapRunner.create(map, result.outputs.wgsl, { device });
  const set = runner.kernelSet!;
  process.stderr.write(`build ${build}: kernel set ${set.name}: ${JSON.stringify(set.kernels.map((k) => k.schedule))}\n`);
  const random = mulberry32(7);
  const tensors = new Map(map.params.map((p) => [p.name, randomArray(p.shape.reduce((a, b) => a * b, 1), random).map((v) => v / 8)]));
  runner.loadParams(tensors);
  return { runner, map, program, packed: packParams(map.params, map.paramSize, tensors), random };
}
