/**
 * The codes no `.mon` spec reaches: the IR's (the checker reports E0507 first), each from a
 * structure built through the library API, and projection's warning, from a projection. test/ir/pipeline.test.ts checks their spans and
 * messages, test/ir/passes/{fold-permutations,drop-identities}.test.ts the passes that report them.
 */
import type { Code } from '../../src/dsl/codes.js';
import type { Diagnostic } from '../../src/dsl/diagnostics.js';
import { tryCompileMap } from '../../src/ir/pipeline.js';
import { heuristicProjectionWarning } from '../../src/project/warning.js';
import { chain, checkedMap, dense, sum, transpose, type Build } from '../ir/structures.js';
import * as projection from '../project/structures.js';

export interface IrDiagnosticCase {
  readonly code: Code;
  readonly diagnostics: () => readonly Diagnostic[];
}

const compiling = (build: Build) => () => tryCompileMap(checkedMap('f', build), 'f32').diagnostics;

export const irDiagnosticCases: readonly IrDiagnosticCase[] = [
  // A map that is only a permutation: nothing to fold it into.
  { code: 'E0701', diagnostics: compiling(transpose(3, 4)) },
  // A sum term whose permutations cancel: it would need a copy kernel.
  { code: 'E0702', diagnostics: compiling(sum(dense(12, 12), chain(transpose(3, 4), transpose(4, 3)))) },
  // `monarch @ monarch` on 16 has no exact projection: a Gaussian W is fitted by the heuristic.
  {
    code: 'W0801',
    diagnostics: () => {
      const s = projection.chain([projection.monarch(16, 16, 4, 'a'), projection.monarch(16, 16, 4, 'b')]);
      return heuristicProjectionWarning({ name: 'f' }, projection.project(s, projection.gaussianMatrix(16, 16, 1)));
    },
  },
];
