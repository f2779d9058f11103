/** `monc export FILE.mon --map NAME --params P.safetensors --out M.onnx [--sparse-form slices|gather]` */
import { modelOf } from '../../model/build.js';
import { programToOnnx, ONNX_OPSET, type SparseForm } from '../../export/onnx.js';
import { tryCompileMap } from '../../ir/pipeline.js';
import { invariant } from '../../util/assert.js';
import type { CommandContext, CommandResult } from '../context.js';
import { readParamsFile } from '../data-files.js';
import { writeAtomic } from '../files.js';
import { failOnErrors, findMap, loadSpec, loadSpecWriting } from '../load-spec.js';
import { escapeHidden } from '../../util/hidden-chars.js';

export async function exportCommand(ctx: CommandContext, file: string, opts: { map: string; params: string; out: string; sparseForm?: SparseForm }): Promise<CommandResult> {
  const { spec, outInputs } = await loadSpecWriting(ctx, file, opts.out, [opts.params], loadSpec);
  const map = findMap(spec, opts.map);
  const { result: program, diagnostics } = tryCompileMap(map, spec.module.dtype);
  failOnErrors(ctx, spec.source, diagnostics);
  invariant(program, `map '${map.name}' gave no program and no error`);
  const params = await readParamsFile(opts.params, modelOf(map).params, spec.module.dtype);
  const model = programToOnnx(program, params, opts.sparseForm);
  await writeAtomic(opts.out, model, outInputs);
  const elem = spec.module.dtype === 'f16' ? 'float16' : 'float32';
  return {
    json: { map: map.name, out: opts.out, opset: ONNX_OPSET, dtype: elem, input: ['batch', map.in], output: ['batch', map.out], bytes: model.length },
    text: `wrote ${escapeHidden(opts.out)}: ONNX opset ${ONNX_OPSET}, x (batch, ${map.in}) -> y (batch, ${map.out}), ${elem}, map '${map.name}'`,
  };
}
