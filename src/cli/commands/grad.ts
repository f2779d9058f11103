/**
 * `monc grad FILE.mon --map NAME --params P.safetensors --input X.npy --grad-output DY.npy --out G.safetensors [--backend webgpu|cpu]`
 *
 * Writes G.safetensors (F32): `input` = ∂L/∂X = DY M (the shape of X), and one gradient per
 * parameter tensor of the map under the parameter's own name and shape.
 */
import { modelOf } from '../../model/build.js';
import { writeSafetensors } from '../../runtime/formats/safetensors.js';
import type { Backend } from '../../runtime/map-runner.js';
import { compileSpecKernels } from '../compile-spec.js';
import type { CommandContext, CommandResult } from '../context.js';
import { readParamsFile, shapeText } from '../data-files.js';
import { writeAtomic } from '../files.js';
import { findMap, loadSpecWriting } from '../load-spec.js';
import { readInputRows, readPairedRows } from '../training-data.js';
import { openTrainingRunner, withRunner } from '../training-runner.js';
import { escapeHidden } from '../../util/hidden-chars.js';

export interface GradCommandOptions {
  readonly map: string;
  readonly params: string;
  readonly input: string;
  readonly gradOutput: string;
  readonly out: string;
  readonly backend: Backend;
}

/** The tensor of G.safetensors that holds ∂L/∂X (parameter names always contain a dot, so it never clashes). */
const INPUT_GRADIENT = 'input';

export async function gradCommand(ctx: CommandContext, file: string, opts: GradCommandOptions): Promise<CommandResult> {
  // An --out that cannot be written is refused before the spec is compiled or a GPU opened.
  const { spec, outInputs } = await loadSpecWriting(ctx, file, opts.out, [opts.params, opts.input, opts.gradOutput], compileSpecKernels);
  const map = findMap(spec, opts.map);
  const specs = modelOf(map).params;
  const params = await readParamsFile(opts.params, specs, spec.module.dtype);
  const x = await readInputRows(opts.input, map);
  const dy = await readPairedRows(opts.gradOutput, 'grad-output', x, map);

  const runner = await openTrainingRunner(ctx, spec, map, opts.backend);
  const gradients = await withRunner(runner, async () => {
    runner.loadParams(params);
    return runner.backward(x.data, dy.data, x.rows);
  });
  const tensors = new Map([[INPUT_GRADIENT, { shape: x.shape, data: gradients.dx }]]);
  for (const s of specs) tensors.set(s.name, { shape: s.shape, data: gradients.grads.get(s.name)! });
  await writeAtomic(opts.out, writeSafetensors(tensors, { dtype: 'F32' }), outInputs);

  const listed = [...tensors].map(([name, t]) => ({ name, shape: t.shape }));
  return {
    json: { map: map.name, backend: runner.backend, adapter: runner.adapterDescription, batch: x.rows, out: opts.out, tensors: listed },
    text: [
      `wrote ${escapeHidden(opts.out)}: ${listed.length} gradient tensor${listed.length === 1 ? '' : 's'} (F32; map '${map.name}', batch ${x.rows}, ${runner.backend})`,
      ...listed.map((t) => `  ${t.name} ${shapeText(t.shape)}`),
    ].join('\n'),
  };
}
