/**
 * The compile driver: one `.mon` source in, its three artefacts out (SPEC §1, §5 `monc build`):
 * `<module>.wgsl`, `<module>.ts` and the manifest `<module>.json`. A pure function of its inputs:
 * identical source, file name and tuning give byte-identical outputs (no timestamps, and only the
 * file's base name reaches the outputs).
 */
import { checkCompileOptions, COMPILE_OPTION_FIELDS, compileKernels, type CompileKernelsOptions, type CompileKernelsResult, type KernelOutputs } from './compile-kernels.js';
import { emitBindings } from './codegen/ts/emit-bindings.js';

export type { TuningLookup } from './compile-kernels.js';

export interface CompileModuleOptions extends CompileKernelsOptions {
  /** Module specifier the generated TypeScript imports the runtime from. */
  readonly runtimeImport?: string | undefined;
}

export interface CompileOutputs extends KernelOutputs {
  readonly ts: string;
}

export type CompileModuleResult = CompileKernelsResult<CompileOutputs>;

export const DEFAULT_RUNTIME_IMPORT = 'monc/runtime';

export function compileModule(source: string, file: string, options: CompileModuleOptions = {}): CompileModuleResult {
  checkCompileOptions('compileModule', options, { ...COMPILE_OPTION_FIELDS, runtimeImport: 'string' });
  const { runtimeImport, ...kernelOptions } = options ?? {};
  const { outputs, ...result } = compileKernels(source, file, kernelOptions);
  if (!outputs) return result;
  const ts = emitBindings(outputs.manifest, outputs.wgsl, { runtimeImport: runtimeImport ?? DEFAULT_RUNTIME_IMPORT });
  return { ...result, outputs: { ...outputs, ts } };
}
