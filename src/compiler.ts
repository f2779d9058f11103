/**
 * `monc/compiler`: the compiler's browser-safe half, for pages that compile `.mon` source
 * themselves (a playground, an editor): check a spec, compile it to WGSL and a manifest the
 * runtime (`monc/runtime`) runs, and read the structure model. No TypeScript bindings (the
 * `monc` entry's emitters pull in the TypeScript compiler through ts-morph), no ONNX export, no
 * file system: test/package/compiler-entry.test.ts bundles it for the browser and checks that.
 */
export { checkSource, formatDiagnostics, parse, paramCount, paramsOf, structureCost, denseCost } from './dsl/index.js';
export type { CheckOptions, CheckResult, CheckedMap, CheckedModule, Cost, Diagnostic, DiagnosticNote, Dtype, MaskResolver, MaskResult, ParamSpec, Severity, Span, Structure } from './dsl/index.js';
export { renderDiagnostic } from './dsl/diagnostics.js';
export { compileKernels, type CompileKernelsOptions, type CompileKernelsResult, type KernelOutputs, type TuningLookup } from './compile-kernels.js';
export { modelOf } from './model/build.js';
export type { ModelMap, ModelNode } from './model/types.js';
export { printIrMap, printProgram } from './ir/printer.js';
export { MONC_VERSION } from './version.js';
