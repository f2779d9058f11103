/**
 * verify-backward: the invariants a BackwardProgram promises to codegen and the runtime. Every
 * buffer an op uses is declared with the op's size, an op reads only what was written before it,
 * partial buffers match their reductions, no permutation op exists (none can: every op is a
 * block matmul, a bias or a reduction), `dx` is written (or zeroed), and the gradient buffer
 * receives every element of every parameter tensor exactly once before any accumulation. The
 * checks are the manifest's (src/manifest/program-problems.ts); here a failure is a compiler bug.
 */
import { backwardProblems } from '../../manifest/program-problems.js';
import type { BackwardProgram } from '../ir.js';

export { backwardProblems };

/** Returns the program unchanged, or throws an internal error listing every problem. */
export function verifyBackward(p: BackwardProgram): BackwardProgram {
  const problems = backwardProblems(p);
  if (problems.length > 0) throw new Error(`internal error: invalid backward program for map '${p.name}':\n  ${problems.join('\n  ')}`);
  return p;
}
