/**
 * Everything the playground shows about a spec, computed in the page: diagnostics, the checked
 * module, the WGSL and manifest (the same compiler as `monc build`, minus the TypeScript
 * bindings), and each map's IR after every pass.
 */
import { compileKernels, type KernelOutputs } from '../../../src/compiler.js';
import type { Diagnostic } from '../../../src/dsl/diagnostics.js';
import { formatDiagnostics } from '../../../src/dsl/index.js';
import type { CheckedMap, CheckedModule, Dtype } from '../../../src/dsl/structure.js';
import { tryCompileMap } from '../../../src/ir/pipeline.js';

export interface SpecView {
  readonly diagnostics: readonly Diagnostic[];
  /** The diagnostics as `monc` prints them. */
  readonly rendered: string;
  readonly module?: CheckedModule;
  readonly outputs?: KernelOutputs;
}

export function compileSpec(source: string, file: string): SpecView {
  const result = compileKernels(source, file);
  return {
    diagnostics: result.diagnostics,
    rendered: formatDiagnostics(result.diagnostics, source),
    ...(result.module ? { module: result.module } : {}),
    ...(result.outputs ? { outputs: result.outputs } : {}),
  };
}

export interface IrPass {
  readonly pass: string;
  readonly text: string;
}

/** The map's IR as printed after each compiler pass (what `monc check --ir` shows). */
export function irPasses(map: CheckedMap, dtype: Dtype): IrPass[] {
  const passes: IrPass[] = [];
  const { diagnostics } = tryCompileMap(map, dtype, { onPass: (pass, text) => passes.push({ pass, text }) });
  for (const d of diagnostics) passes.push({ pass: 'error', text: d.message });
  return passes;
}
