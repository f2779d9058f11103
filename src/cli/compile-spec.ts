/** Compiling a `.mon` file for `build` and `run` (which need the kernels and the manifest). */
import { compileModule, type CompileOutputs, type TuningLookup } from '../compile.js';
import { recordingMaskResolver } from '../plugin/mask-files.js';
import type { CommandContext } from './context.js';
import { readText } from './files.js';
import { failOnErrors, type LoadedSpec } from './load-spec.js';

/** Checks and compiles the spec: its module and the three artefacts of `monc build`. */
export async function compileSpec(ctx: CommandContext, file: string, tuning?: TuningLookup): Promise<LoadedSpec & { readonly outputs: CompileOutputs }> {
  const source = await readText(file);
  const result = compileModule(source, file, { resolveMask: recordingMaskResolver().resolve, tuning });
  failOnErrors(ctx, source, result.diagnostics);
  if (!result.module || !result.outputs) throw new Error(`internal error: compiling '${file}' gave no outputs and no error`);
  return { file, source, module: result.module, outputs: result.outputs };
}
