/** `monc convert FILE.mon --map NAME --from fly|torch_butterfly|ksmm --in STATE.safetensors [--prefix P] --out P.safetensors` */
import { modelOf } from '../../model/build.js';
import { convertPeerWeights, type Peer } from '../../interop/convert.js';
import { InteropError } from '../../interop/peer-layer.js';
import { FormatError } from '../../runtime/formats/format-error.js';
import { readSafetensors, writeSafetensors } from '../../runtime/formats/safetensors.js';
import type { CommandContext, CommandResult } from '../context.js';
import { readBytes, SAFETENSORS_FILE, writeAtomic } from '../files.js';
import { findMap, loadSpec, loadSpecWriting } from '../load-spec.js';
import { escapeHidden } from '../../util/hidden-chars.js';

export async function convertCommand(
  ctx: CommandContext,
  file: string,
  opts: { map: string; from: Peer; in: string; prefix?: string; out: string },
): Promise<CommandResult> {
  const { spec, outInputs } = await loadSpecWriting(ctx, file, opts.out, [opts.in], loadSpec);
  const map = findMap(spec, opts.map);
  const bytes = await readBytes(opts.in, SAFETENSORS_FILE);
  let state;
  try {
    state = readSafetensors(bytes).tensors;
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(`${opts.in}: ${e.message}`);
    throw e;
  }
  let params: Map<string, Float32Array>;
  try {
    params = convertPeerWeights(map, opts.from, state, { prefix: opts.prefix, dtype: spec.module.dtype });
  } catch (e) {
    if (e instanceof InteropError) throw new InteropError(`${opts.in}: ${e.message}`);
    throw e;
  }
  const specs = modelOf(map).params;
  const tensors = new Map(specs.map((p) => [p.name, { shape: p.shape, data: params.get(p.name)! }]));
  const dtype = spec.module.dtype === 'f16' ? 'F16' : 'F32';
  await writeAtomic(opts.out, writeSafetensors(tensors, { dtype }), outInputs);
  return {
    json: { map: map.name, from: opts.from, out: opts.out, dtype, tensors: specs.map((p) => ({ name: p.name, shape: p.shape })) },
    text: `wrote ${escapeHidden(opts.out)}: ${specs.map((p) => p.name).join(', ')} of map '${map.name}' from the ${opts.from} weights in ${escapeHidden(opts.in)} (${dtype})`,
  };
}
