/** Compiling a `.mon` file for `build` (all three artefacts) and `run`, `tune`, `bench` (kernels and manifest only). */
import { compileKernels, type CompileKernelsOptions, type CompileKernelsResult, type KernelOutputs, type TuningLookup } from '../compile-kernels.js';
import type { CompileOutputs } from '../compile.js';
import type { Program } from '../ir/ir.js';
import { recordingMaskResolver } from '../node/mask-files.js';
import type { CommandContext } from './context.js';
import { readText, SPEC_FILE } from './files.js';
import { failOnErrors, type LoadedSpec } from './load-spec.js';

type Compiler<O> = (source: string, file: string, options: CompileKernelsOptions) => Omit<CompileKernelsResult, 'outputs'> & { readonly outputs?: O };

/** A compiled spec: its outputs and each map's scheduled program. */
export type CompiledSpec<O> = LoadedSpec & { readonly outputs: O; readonly programs: readonly Program[] };

/** What a command chooses about the kernels it compiles: their schedules, and for `build`, whether the training kernels are left out. */
export type SpecCompileChoices = Pick<CompileKernelsOptions, 'tuning' | 'forwardOnly' | 'kernelSets'> & {
  /** Told each mask file the spec reads, before it is read, whether the spec compiles or not (`build --watch` watches it). */
  readonly onMaskFile?: (file: string) => void;
};

async function compileWith<O>(ctx: CommandContext, file: string, compile: Compiler<O>, choices: SpecCompileChoices): Promise<CompiledSpec<O>> {
  const source = await readText(file, SPEC_FILE);
  const { onMaskFile, ...options } = choices;
  const masks = recordingMaskResolver(onMaskFile);
  const result = compile(source, file, { resolveMask: masks.resolve, ...options });
  failOnErrors(ctx, source, result.diagnostics);
  if (!result.module || !result.outputs || !result.programs) throw new Error(`internal error: compiling '${file}' gave no outputs and no error`);
  return { file, source, module: result.module, maskFiles: [...masks.files], outputs: result.outputs, programs: result.programs };
}

/** The WGSL, the TypeScript bindings and the manifest of `monc build`. */
export async function compileSpec(ctx: CommandContext, file: string, choices: SpecCompileChoices = {}): Promise<CompiledSpec<CompileOutputs>> {
  // Loaded on demand: the bindings emitter pulls in ts-morph, which only `build` needs.
  const { compileModule } = await import('../compile.js');
  return compileWith(ctx, file, compileModule, choices);
}

/** The WGSL and the manifest: what running a map needs. */
export function compileSpecKernels(ctx: CommandContext, file: string, tuning?: TuningLookup): Promise<CompiledSpec<KernelOutputs>> {
  return compileWith(ctx, file, compileKernels, { tuning });
}
