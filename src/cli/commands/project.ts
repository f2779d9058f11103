/** `monc project FILE.mon --map NAME --dense W.npy|W.safetensors [--tensor NAME] --out P.safetensors [--seed S] [--rounds N]` */
import type { CheckedMap } from '../../dsl/structure.js';
import { modelOf } from '../../model/build.js';
import type { ModelMap } from '../../model/types.js';
import { writeSafetensors } from '../../runtime/formats/safetensors.js';
import { checkDenseShape, project, ProjectionError } from '../../project/index.js';
import { checkDenseValues } from '../../project/project.js';
import type { CommandContext, CommandResult } from '../context.js';
import { readArrayFile, shapeText, type ArrayFromFile } from '../data-files.js';
import { writeAtomic } from '../files.js';
import { failOnErrors, findMap, loadSpec, loadSpecWriting } from '../load-spec.js';
import { heuristicProjectionWarning } from '../../project/warning.js';
import { formatCount } from '../table.js';
import { escapeHidden } from '../../util/hidden-chars.js';

export interface ProjectCommandOptions {
  readonly map: string;
  readonly dense: string;
  readonly tensor?: string;
  readonly out: string;
  readonly seed: number;
  readonly rounds?: number;
}

export async function projectCommand(ctx: CommandContext, file: string, opts: ProjectCommandOptions): Promise<CommandResult> {
  // An --out that cannot be written is refused before the (long) projection.
  const { spec, outInputs } = await loadSpecWriting(ctx, file, opts.out, [opts.dense], loadSpec);
  const map = findMap(spec, opts.map);
  const model = modelOf(map);
  const w = await readArrayFile(opts.dense, opts.tensor);
  checkDense(map, model, w);
  // Other ProjectionErrors (a structure projection does not support, a parameter
  // the module's dtype cannot hold) are user errors too: main reports them. The result describes
  // the parameters as the file holds them (rounded to the module's dtype); W is judged at the precision its file held it
  // in (session 20: an f16 W of a sum's class warned W0801 at its own rounding).
  const storage = spec.module.dtype;
  const result = project(model, w.data, { seed: opts.seed, maxRounds: opts.rounds, storage, precision: w.precision });
  failOnErrors(ctx, spec.source, heuristicProjectionWarning(map, result));
  const dtype = storage === 'f16' ? 'F16' : 'F32';
  const specs = model.params;
  await writeAtomic(opts.out, writeSafetensors(new Map(specs.map((s) => [s.name, { shape: s.shape, data: result.params.get(s.name)! }])), { dtype }), outInputs);
  const share = `${((100 * result.paramCount) / result.denseParamCount).toFixed(1)}%`;
  return {
    json: {
      map: map.name,
      relative_error: result.relativeError,
      params: result.paramCount,
      dense_params: result.denseParamCount,
      method: result.method,
      optimal: result.optimal,
      out: opts.out,
      dtype,
    },
    text: [
      `projected ${escapeHidden(w.shownAs)} ${shapeText(w.shape)} onto map '${map.name}'`,
      `  method          ${result.method}`,
      `  relative_error  ${Number(result.relativeError.toPrecision(4))}  (‖W − M‖_F / ‖W‖_F, M of the ${dtype} parameters written)`,
      `  optimal         ${result.optimal ? `yes: the closest M in the structure, up to rounding to ${dtype}` : 'not proven (the method says how M was found)'}`,
      `  params          ${formatCount(result.paramCount)} instead of ${formatCount(result.denseParamCount)} dense (${share})`,
      `wrote ${escapeHidden(opts.out)}: ${specs.length} tensor${specs.length === 1 ? '' : 's'} (${dtype})`,
    ].join('\n'),
  };
}

/**
 * The library's checks of W's shape and values (NaN, ±Inf), naming the file (and tensor), with a hint for the common
 * mistake of a transposed W.
 */
function checkDense(map: CheckedMap, model: ModelMap, w: ArrayFromFile): void {
  try {
    checkDenseShape(model, w.shape);
    checkDenseValues(model, w.data);
  } catch (e) {
    if (!(e instanceof ProjectionError)) throw e;
    const transposed = map.in !== map.out && w.shape.length === 2 && w.shape[0] === map.in && w.shape[1] === map.out;
    throw new ProjectionError(`${w.shownAs}: ${e.message}${transposed ? '; transposed? W is (out, in), like nn.Linear.weight' : ''}`);
  }
}
