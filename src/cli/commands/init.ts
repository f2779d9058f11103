/** `monc init FILE.mon --map NAME --out P.safetensors [--seed S]` */
import { modelOf } from '../../model/build.js';
import { writeSafetensors } from '../../runtime/formats/safetensors.js';
import { initParams } from '../../runtime/init.js';
import type { CommandContext, CommandResult } from '../context.js';
import { shapeText } from '../data-files.js';
import { checkOutputSize, writeAtomic } from '../files.js';
import { findMap, loadSpec, loadSpecWriting } from '../load-spec.js';
import { formatCount } from '../table.js';
import { escapeHidden } from '../../util/hidden-chars.js';

export async function initCommand(ctx: CommandContext, file: string, opts: { map: string; out: string; seed: number }): Promise<CommandResult> {
  const { spec, outInputs } = await loadSpecWriting(ctx, file, opts.out, [], loadSpec);
  const map = findMap(spec, opts.map);
  const specs = modelOf(map).params;
  const dtype = spec.module.dtype === 'f16' ? 'F16' : 'F32';
  const count = specs.reduce((acc, s) => acc + s.shape.reduce((a, b) => a * b, 1), 0);
  // Before allocating anything: the file must be one monc (and Node) can hold.
  checkOutputSize(`map '${map.name}' has ${formatCount(count)} parameters`, count * (dtype === 'F16' ? 2 : 4), `as ${dtype}`);
  const values = initParams(specs, opts.seed);
  const tensors = new Map(specs.map((s) => [s.name, { shape: s.shape, data: values.get(s.name)! }]));
  await writeAtomic(opts.out, writeSafetensors(tensors, { dtype }), outInputs);
  return {
    json: { map: map.name, out: opts.out, seed: opts.seed, dtype, params: count, tensors: specs.map((s) => ({ name: s.name, shape: s.shape })) },
    text: [
      `wrote ${escapeHidden(opts.out)}: ${specs.length} tensor${specs.length === 1 ? '' : 's'}, ${formatCount(count)} parameters (${dtype}, seed ${opts.seed})`,
      ...specs.map((s) => `  ${s.name} ${shapeText(s.shape)}`),
    ].join('\n'),
  };
}
