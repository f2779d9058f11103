/**
 * The IR pipeline: lower -> flatten -> fold-permutations -> simplify-index-maps ->
 * drop-identities -> canonicalize-blocks -> schedule, verifying the IR after every pass. `onPass` receives the printed
 * IR after each pass (what `monc check --ir` shows).
 *
 * Throws IrCompileError (a located user error) for a map that would need a data-movement step,
 * and `internal error`s for compiler bugs.
 */
import type { CheckedMap, CheckedModule, Dtype } from '../dsl/structure.js';
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
  readonly onPass?: (passName: string, printed: string) => void;
}

interface Pass {
  readonly name: string;
  readonly run: (map: IrMap) => IrMap;
  /** What the IR may still contain after this pass. */
  readonly after: VerifyOptions;
}

const PASSES: readonly Pass[] = [
  { name: 'flatten', run: flatten, after: { allowPermutations: true, allowIdentities: false } },
  { name: 'fold-permutations', run: foldPermutations, after: { allowPermutations: false, allowIdentities: true } },
  { name: 'simplify-index-maps', run: simplifyIndexMaps, after: { allowPermutations: false, allowIdentities: true } },
  { name: 'drop-identities', run: dropIdentities, after: { allowPermutations: false, allowIdentities: false } },
  { name: 'canonicalize-blocks', run: canonicalizeBlocks, after: { allowPermutations: false, allowIdentities: false } },
];

/** The expression IR of a map after every pass but `schedule`. */
export function optimizeMap(map: CheckedMap, dtype: Dtype, options: CompileOptions = {}): IrMap {
  let ir = verify(lowerMap(map, dtype), { allowPermutations: true, allowIdentities: false }, 'lower');
  options.onPass?.('lower', printIrMap(ir));
  for (const pass of PASSES) {
    ir = verify(pass.run(ir), pass.after, pass.name);
    options.onPass?.(pass.name, printIrMap(ir));
  }
  return ir;
}

export function compileMap(map: CheckedMap, dtype: Dtype, options: CompileOptions = {}): Program {
  const program = verifyProgram(schedule(optimizeMap(map, dtype, options)));
  options.onPass?.('schedule', printProgram(program));
  return program;
}

export function compileModuleIr(module: CheckedModule, options: CompileOptions = {}): Program[] {
  return module.maps.map((m) => compileMap(m, module.dtype, options));
}

/** The backward program of a scheduled map (passes/backward.ts), verified. */
export function compileBackward(program: Program, options: CompileOptions & BackwardOptions = {}): BackwardProgram {
  const derived = verifyBackward(backward(program, options));
  options.onPass?.('backward', printBackwardProgram(derived));
  return derived;
}
