/** `monc export FILE.mon --map NAME --params P.safetensors --out M.onnx` */
import { paramsOf } from '../../dsl/params.js';
import { programToOnnx, ONNX_OPSET } from '../../export/onnx.js';
import { IrCompileError } from '../../ir/errors.js';
import type { Program } from '../../ir/ir.js';
import { compileMap } from '../../ir/pipeline.js';
import type { CommandContext, CommandResult } from '../context.js';
import { readParamsFile } from '../data-files.js';
import { writeAtomic } from '../files.js';
import { failOnErrors, findMap, loadSpec } from '../load-spec.js';

export async function exportCommand(ctx: CommandContext, file: string, opts: { map: string; params: string; out: string }): Promise<CommandResult> {
  const spec = await loadSpec(ctx, file);
  const map = findMap(spec, opts.map);
  let program: Program;
  try {
    program = compileMap(map, spec.module.dtype);
  } catch (e) {
    if (!(e instanceof IrCompileError)) throw e;
    failOnErrors(ctx, spec.source, [e.diagnostic]);
    throw e;
  }
  const params = await readParamsFile(opts.params, paramsOf(map.structure));
  const model = programToOnnx(program, params);
  await writeAtomic(opts.out, model, { inputs: [file, opts.params] });
  const elem = spec.module.dtype === 'f16' ? 'float16' : 'float32';
  return {
    json: { map: map.name, out: opts.out, opset: ONNX_OPSET, dtype: elem, input: ['batch', map.in], output: ['batch', map.out], bytes: model.length },
    text: `wrote ${opts.out}: ONNX opset ${ONNX_OPSET}, x (batch, ${map.in}) -> y (batch, ${map.out}), ${elem}, map '${map.name}'`,
  };
}
