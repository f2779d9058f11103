/**
 * The browser-safe half of the compile driver: a `.mon` source to its WGSL and manifest (no
 * TypeScript bindings, so nothing here pulls in ts-morph). `compileModule` (compile.ts) adds the
 * bindings; the playground and other in-browser tools call this directly.
 */
import { buildManifest } from './codegen/manifest.js';
import type { Manifest } from './manifest/types.js';
import { assembleModule, emitProgramKernels, type TunedSchedule } from './codegen/wgsl/index.js';
import { checkSource, type CheckOptions } from './dsl/index.js';
import type { Diagnostic } from './dsl/diagnostics.js';
import type { CheckedModule, Dtype } from './dsl/structure.js';
import type { BackwardOp, Program } from './ir/ir.js';
import { IrCompileError } from './ir/errors.js';
import { compileBackward, compileMap } from './ir/pipeline.js';
import { manifestBackward } from './codegen/manifest-programs.js';
import { emitBackwardKernels } from './codegen/wgsl/backward-program.js';
import type { EmittedKernel } from './codegen/wgsl/kernel.js';
import { formatJson } from './util/json.js';
import { MONC_VERSION } from './version.js';

/**
 * The tuned schedule of a kernel performing `ops` (one op, or a run of consecutive ops that the
 * build then fuses into one dispatch, or one op of a backward program), with the limits of the adapter it was tuned on; the tuning
 * database keys it by the ops' structure and the dtype. Undefined means none: the ops take the
 * untuned path (default schedules, default fusion). A schedule that no longer fits is ignored.
 */
export type TuningLookup = (ops: readonly BackwardOp[], dtype: Dtype) => TunedSchedule | undefined;

export interface CompileKernelsOptions {
  /** Reads `sparse(pattern: "mask.npy")` files; without it a mask pattern is an error. */
  readonly resolveMask?: CheckOptions['resolveMask'];
  readonly tuning?: TuningLookup;
}

export interface KernelOutputs {
  readonly moduleName: string;
  readonly wgsl: string;
  readonly manifest: Manifest;
  /** The manifest as written to `<module>.json`. */
  readonly manifestJson: string;
}

/** What a compilation produced; `Outputs` grows with the driver (compileModule adds the TypeScript). */
export interface CompileKernelsResult<Outputs extends KernelOutputs = KernelOutputs> {
  readonly diagnostics: readonly Diagnostic[];
  /** Present when the source checked without errors. */
  readonly module?: CheckedModule;
  /** Present, with the outputs, when every map compiled. */
  readonly programs?: readonly Program[];
  readonly outputs?: Outputs;
}

export function compileKernels(source: string, file: string, options: CompileKernelsOptions = {}): CompileKernelsResult {
  const { module, diagnostics } = checkSource(source, file, { resolveMask: options.resolveMask });
  if (!module || diagnostics.some((d) => d.severity === 'error')) return { diagnostics };

  // Specs that check but break the IR's rules (a bare permutation term…) fail here, located.
  const irErrors: Diagnostic[] = [];
  const programs = module.maps.flatMap((map) => {
    try {
      return [compileMap(map, module.dtype)];
    } catch (e) {
      if (!(e instanceof IrCompileError)) throw e;
      irErrors.push(e.diagnostic);
      return [];
    }
  });
  if (irErrors.length > 0) return { diagnostics: [...diagnostics, ...irErrors], module };

  const outputs = emitModule(module, programs, options);
  return { diagnostics, module, programs, outputs };
}

/** Options of `emitModule`. */
export interface EmitModuleOptions {
  readonly tuning?: TuningLookup;
  /** Batch rows per split of the backward programs' weight-gradient reductions (default: passes/backward.ts). */
  readonly rowsPerSplit?: number;
}

/**
 * The WGSL module and manifest of a checked module whose maps compiled to `programs`: each map's
 * forward kernels, then its backward program's kernels (SPEC §7), in map order.
 */
export function emitModule(module: CheckedModule, programs: readonly Program[], options: EmitModuleOptions = {}): KernelOutputs {
  const tuning = options.tuning;
  const kernelsByMap = new Map(
    programs.map((p) => [p.name, emitProgramKernels(p, { schedules: tuning && ((ops) => tuning(ops.map((i) => p.ops[i]), module.dtype)) })]),
  );
  const backward = new Map(
    programs.map((p) => {
      const derived = compileBackward(p, { rowsPerSplit: options.rowsPerSplit });
      return [p.name, { program: derived, kernels: emitBackwardKernels(derived, { schedules: tuning && ((i) => tuning([derived.ops[i]], module.dtype)) }) }] as const;
    }),
  );
  const groups = new Map<string, readonly EmittedKernel[]>();
  for (const p of programs) {
    groups.set(p.name, kernelsByMap.get(p.name)!);
    groups.set(`${p.name} (backward)`, backward.get(p.name)!.kernels);
  }
  const { wgsl } = assembleModule(groups);
  const backwardSections = new Map([...backward].map(([name, b]) => [name, manifestBackward(b.program, b.kernels)]));
  const manifest = buildManifest(module, programs, kernelsByMap, `${module.name}.wgsl`, MONC_VERSION, backwardSections);
  return { moduleName: module.name, wgsl, manifest, manifestJson: `${formatJson(manifest)}\n` };
}

/** A checked module all of whose maps compile (tests, tools): `emitModule` over `compileMap`. */
export function compileKernelsOfModule(module: CheckedModule, options: EmitModuleOptions = {}): KernelOutputs {
  return emitModule(module, module.maps.map((m) => compileMap(m, module.dtype)), options);
}
