/**
 * verify-program: the invariants a scheduled Program promises to codegen and the runtime.
 * Buffers and op sizes agree, slices lie inside the packed layout, and data flows: an op reads
 * only buffers fully written before it, the first write of a value overwrites, and `y` is
 * written. The checks are the manifest's (src/manifest/program-problems.ts: decodeManifest runs
 * them on a file); here a failure is a compiler bug.
 */
import { opSizes, programProblems } from '../../manifest/program-problems.js';
import type { Program } from '../ir.js';

export { opSizes, programProblems };

/** Returns the program unchanged, or throws an internal error listing every problem. */
export function verifyProgram(p: Program): Program {
  const problems = programProblems(p);
  if (problems.length > 0) throw new Error(`internal error: invalid program for map '${p.name}':\n  ${problems.join('\n  ')}`);
  return p;
}
