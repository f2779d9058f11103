/** `monc dense FILE.mon --map NAME --params P.safetensors --out W.npy` */
import { modelOf } from '../../model/build.js';
import { writeNpy } from '../../runtime/formats/npy.js';
import { referenceDense } from '../../runtime/reference.js';
import type { CommandContext, CommandResult } from '../context.js';
import { readParamsFile, shapeText } from '../data-files.js';
import { checkOutputSize, writeAtomic } from '../files.js';
import { findMap, loadSpec, loadSpecWriting } from '../load-spec.js';
import { escapeHidden } from '../../util/hidden-chars.js';

export async function denseCommand(ctx: CommandContext, file: string, opts: { map: string; params: string; out: string }): Promise<CommandResult> {
  const { spec, outInputs } = await loadSpecWriting(ctx, file, opts.out, [opts.params], loadSpec);
  const map = findMap(spec, opts.map);
  checkOutputSize(`M of map '${map.name}' is ${map.out} x ${map.in}`, map.out * map.in * 4, 'as float32');
  const model = modelOf(map);
  const params = await readParamsFile(opts.params, model.params, spec.module.dtype);
  // The float64 reference, rounded once to float32: the most accurate M a float32 file can hold.
  const dense = referenceDense(model, params);
  const shape = [map.out, map.in];
  await writeAtomic(opts.out, writeNpy(dense, shape), outInputs);
  return { json: { map: map.name, out: opts.out, shape }, text: `wrote ${escapeHidden(opts.out)}: M of map '${map.name}', shape ${shapeText(shape)}, float32` };
}
