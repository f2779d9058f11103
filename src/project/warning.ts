/**
 * The warning `monc project` gives when a heuristic found M (ProjectionResult.heuristic): the
 * relative error it reports is real, but need not be the smallest the structure reaches, even for
 * a W built in the structure (SPEC §6 promises exactness there only for the forms
 * docs/projection.md lists as exact).
 */
import { Code } from '../dsl/codes.js';
import { diagnostic, type Diagnostic } from '../dsl/diagnostics.js';
import { syntheticSpan, type Span } from '../dsl/span.js';
import type { ProjectionResult } from './project.js';

export function heuristicProjectionWarning(map: { readonly name: string; readonly span?: Span }, result: Pick<ProjectionResult, 'heuristic' | 'relativeError' | 'method'>): Diagnostic[] {
  if (!result.heuristic) return [];
  return [
    diagnostic(
      Code.HeuristicProjection,
      `the projection onto '${map.name}' is a heuristic (${result.method}): its relative error ${Number(result.relativeError.toPrecision(3))} may be above the smallest this structure reaches, even for a W built in it`,
      map.span ?? syntheticSpan(),
      [{ message: 'exact for one factor, monarch(nblocks:), lowrank, one butterfly or monarch(order:), and chains with a dense() factor, adjacent ones (lowrank @ lowrank) or a factor pair that reaches every matrix, where the factors beside it can have full rank towards the ends (docs/projection.md, "Which forms are exact")' }],
    ),
  ];
}
