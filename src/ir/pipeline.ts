/**
 * The IR pipeline: lower -> flatten -> fold-permutations -> simplify-index-maps ->
 * drop-identities -> canonicalize-blocks -> schedule, verifying the IR after every pass. `onPass` receives the printed
 * IR after each pass (what `monc check --ir` shows).
 *
 * A map that would need a data-movement step is reported (located diagnostics, never thrown:
 * `tryCompileMap`); only compiler bugs throw (`internal error`s).
 */
import { reported, type Diagnostic, type Reported } from '../dsl/diagnostics.js';
import type { CheckedMap, CheckedModule, Dtype } from '../dsl/structure.js';
import { invariant } from '../util/assert.js';
import { argumentError, checkOptionFields, isRecord, refuseUnknownOptions } from '../util/library-arguments.js';
import { checkProgramArgument } from './program-argument.js';
import { checkMapArgument } from '../dsl/map-argument.js';
import type { BackwardProgram, IrMap, Program } from './ir.js';
import { backward, type BackwardOptions } from './passes/backward.js';
import { verifyBackward } from './passes/verify-backward.js';
import { lowerMap } from './lower.js';
import { canonicalizeBlocks } from './passes/canonicalize-blocks.js';
import { dropIdentities } from './passes/drop-identities.js';
import { flatten } from './passes/flatten.js';
import { foldPermutations } from './passes/fold-permutations.js';
import { schedule } from './passes/schedule.js';
import { simplifyIndexMaps } from './passes/simplify-index-maps.js';
import { verify, type VerifyOptions } from './passes/verify.js';
import { verifyProgram } from './passes/verify-program.js';
import { printBackwardProgram, printIrMap, printProgram } from './printer.js';

export interface CompileOptions {
  readonly onPass?: ((passName: string, printed: string) => void) | undefined;
}

/**
 * CompileOptions as JavaScript may pass them to `fn`: onPass a function, no other name (a
 * misspelt `onPas` would leave the IR dump silently off: QA2 s17 R63, R36's rule); `more`: the
 * entry's own options besides.
 */
function checkCompileOptions(fn: string, options: unknown, more: readonly string[] = []): void {
  checkOptionFields(fn, options, { onPass: 'function' });
  refuseUnknownOptions(fn, options, ['onPass', ...more]);
}

interface Pass {
  readonly name: string;
  readonly run: (map: IrMap) => Reported<IrMap>;
  /** What the IR may still contain after this pass. */
  readonly after: VerifyOptions;
}

/** A pass that finds no problem in its input: it always has a result. */
const total =
  (run: (map: IrMap) => IrMap) =>
  (map: IrMap): Reported<IrMap> => ({ result: run(map), diagnostics: [] });

const PASSES: readonly Pass[] = [
  { name: 'flatten', run: total(flatten), after: { allowPermutations: true, allowIdentities: false } },
  { name: 'fold-permutations', run: foldPermutations, after: { allowPermutations: false, allowIdentities: true } },
  { name: 'simplify-index-maps', run: total(simplifyIndexMaps), after: { allowPermutations: false, allowIdentities: true } },
  { name: 'drop-identities', run: dropIdentities, after: { allowPermutations: false, allowIdentities: false } },
  { name: 'canonicalize-blocks', run: total(canonicalizeBlocks), after: { allowPermutations: false, allowIdentities: false } },
];

/** The library's map arguments (JavaScript callers): a checked map, a dtype, options with an `onPass` function. */
function checkMapArguments(fn: string, map: unknown, dtype: unknown, options: unknown): void {
  checkMapArgument(fn, map);
  if (dtype !== 'f32' && dtype !== 'f16') throw argumentError(fn, "dtype must be 'f32' or 'f16' (the module's dtype)", dtype);
  checkCompileOptions(fn, options);
}

/** The expression IR of a map after every pass but `schedule`; the passes stop at the first that reports an error. */
export function optimizeMap(map: CheckedMap, dtype: Dtype, options: CompileOptions = {}): Reported<IrMap> {
  checkMapArguments('optimizeMap', map, dtype, options);
  let ir = verify(lowerMap(map, dtype), { allowPermutations: true, allowIdentities: false }, 'lower');
  options.onPass?.('lower', printIrMap(ir));
  const found: Diagnostic[] = [];
  for (const pass of PASSES) {
    const { result, diagnostics } = pass.run(ir);
    found.push(...diagnostics);
    if (result === undefined) return { diagnostics: found };
    ir = verify(result, pass.after, pass.name);
    options.onPass?.(pass.name, printIrMap(ir));
  }
  return reported(ir, found);
}

/** The scheduled program of a map, or the diagnostics of a map the IR cannot compile (E07xx). */
export function tryCompileMap(map: CheckedMap, dtype: Dtype, options: CompileOptions = {}): Reported<Program> {
  checkMapArguments('tryCompileMap', map, dtype, options);
  const { result: ir, diagnostics } = optimizeMap(map, dtype, options);
  if (ir === undefined) return { diagnostics };
  const program = verifyProgram(schedule(ir));
  options.onPass?.('schedule', printProgram(program));
  return reported(program, diagnostics);
}

/**
 * The program of a map known to compile: one that `checkSource` accepted (the checker rejects
 * every spec the IR would, with E0507) or a test's. A map the IR rejects is a bug of the caller
 * here, an internal error; code that compiles user-built structures calls `tryCompileMap`.
 */
export function compileMap(map: CheckedMap, dtype: Dtype, options: CompileOptions = {}): Program {
  checkMapArguments('compileMap', map, dtype, options);
  const { result, diagnostics } = tryCompileMap(map, dtype, options);
  invariant(result, `map '${map.name}' does not compile: ${diagnostics.map((d) => `${d.message} [${d.code}]`).join('; ')}`);
  return result;
}

export function compileModuleIr(module: CheckedModule, options: CompileOptions = {}): Program[] {
  if (!(isRecord(module) && Array.isArray(module.maps))) throw argumentError('compileModuleIr', 'module must be a checked module (checkSource(...).module)', module);
  checkCompileOptions('compileModuleIr', options);
  return module.maps.map((m) => compileMap(m, module.dtype, options));
}

/** The backward program of a scheduled map (passes/backward.ts), verified. */
export function compileBackward(program: Program, options: CompileOptions & BackwardOptions = {}): BackwardProgram {
  checkProgramArgument('compileBackward', program, 'forward');
  checkCompileOptions('compileBackward', options, ['rowsPerSplit']);
  const split = options.rowsPerSplit;
  if (split !== undefined && !(Number.isSafeInteger(split) && split >= 1)) throw argumentError('compileBackward', 'rowsPerSplit must be a whole number of at least 1', split);
  const derived = verifyBackward(backward(program, options));
  options.onPass?.('backward', printBackwardProgram(derived));
  return derived;
}
