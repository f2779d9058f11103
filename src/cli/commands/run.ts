/**
 * `monc run FILE.mon --map NAME --params P.safetensors --input X.npy --out Y.npy [--backend webgpu|cpu]`:
 * Y = X Mᵀ for X of shape (…, in), written with shape (…, out).
 */
import type { ManifestMap } from '../../manifest/types.js';
import type { Dtype } from '../../dsl/structure.js';
import { modelOf } from '../../model/build.js';
import { NoAdapterError } from '../../runtime/device.js';
import { writeNpy } from '../../runtime/formats/npy.js';
import { MapRunner, type Backend } from '../../runtime/map-runner.js';
// The CLI's runners run on the CPU executor and train (monc run, grad, train): register both.
import '../../runtime/cpu.js';
import '../../runtime/training.js';
import { note, type CommandContext, type CommandResult } from '../context.js';
import { readNpyFile, readParamsFile, shapeText } from '../data-files.js';
import { writeAtomic } from '../files.js';
import { compileSpecKernels } from '../compile-spec.js';
import { findMap, loadSpecWriting } from '../load-spec.js';
import { MoncError } from '../../util/error.js';
import { escapeHidden } from '../../util/hidden-chars.js';

export async function runCommand(
  ctx: CommandContext,
  file: string,
  opts: { map: string; params: string; input: string; out: string; backend: Backend },
): Promise<CommandResult> {
  // An --out that cannot be written is refused before the spec is compiled or a GPU opened.
  const { spec, outInputs } = await loadSpecWriting(ctx, file, opts.out, [opts.params, opts.input], compileSpecKernels);
  const map = findMap(spec, opts.map);
  const params = await readParamsFile(opts.params, modelOf(map).params, spec.module.dtype);
  const x = await readNpyFile(opts.input);
  // Like nn.Linear: X of shape (…, in), any leading dimensions (none for one vector), Y (…, out).
  const leading = x.shape.slice(0, -1);
  if (x.shape.length === 0 || x.shape[x.shape.length - 1] !== map.in) {
    throw new MoncError('shape', `${opts.input}: input has shape ${shapeText(x.shape)}; map '${map.name}' takes (…, ${map.in}): the last dimension must be ${map.in}`);
  }
  const batch = leading.reduce((p, d) => p * d, 1);
  checkWithinFloat32(opts.input, x.data, map.in);

  const manifestMap = spec.outputs.manifest.maps.find((m) => m.name === map.name)!;
  const runner = await createRunner(ctx, manifestMap, spec.outputs.wgsl, spec.module.dtype, opts.backend);
  let y: Float32Array;
  try {
    runner.loadParams(params);
    y = await runner.forward(Float32Array.from(x.data), batch);
  } finally {
    runner.destroy();
  }
  const shape = [...leading, map.out];
  await writeAtomic(opts.out, writeNpy(y, shape), outInputs);
  return {
    json: { map: map.name, backend: runner.backend, adapter: runner.adapterDescription, kernelSet: runner.kernelSet?.name ?? null, input: x.shape, output: shape, out: opts.out },
    text: `wrote ${escapeHidden(opts.out)}: Y of shape ${shapeText(shape)} (map '${map.name}', ${runner.backend})`,
  };
}

/** A runner on the asked backend; webgpu says which adapter it uses, and falls back to the CPU without one. */
export async function createRunner(ctx: CommandContext, map: ManifestMap, wgsl: string, dtype: Dtype, backend: Backend): Promise<MapRunner> {
  if (backend === 'webgpu') {
    await import('../../runtime/node-device.js'); // registers Dawn; loaded only when a GPU is wanted
    // A batch over what one pass may bind runs in chunks (runtime.md); without the host I/O entry it was refused (QA1 s22 Q102).
    await import('../../runtime/host-io-entry.js');
    try {
      const runner = await MapRunner.create(map, wgsl, { backend, dtype });
      const set = runner.kernelSet!;
      note(ctx, `webgpu adapter: ${runner.adapterDescription}${runner.note ? ` (${runner.note})` : ''}; kernel set: ${set.name} (${set.storage} storage)`);
      return runner;
    } catch (e) {
      if (!(e instanceof NoAdapterError)) throw e;
      note(ctx, `${e.message}; running on the CPU instead`);
    }
  }
  return MapRunner.create(map, wgsl, { backend: 'cpu', dtype });
}

/**
 * A float64 input (`<f8`) holding a finite value beyond float32's range, which the map's f32
 * input would turn into ±Inf, is refused (as `monc grad` and `monc train` refuse it); NaN and ±Inf
 * themselves pass through to that row's output.
 */
function checkWithinFloat32(path: string, values: ArrayLike<number>, width: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v) && !Number.isFinite(Math.fround(v))) {
      throw new MoncError('value', `${path}: input holds ${v} (beyond float32) at row ${Math.floor(i / width)}, column ${i % width}; values must lie within float32's range ±3.4e38`);
    }
  }
}
