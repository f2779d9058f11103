/**
 * A test oracle for fusion: every chain the model tags with a constructor (a Monarch pair, a
 * butterfly's levels, a low-rank pair…) as the list of its stages' weight slices. A block matmul
 * op of a scheduled program reads exactly one factor's slice, so a test can tell which
 * constructor two ops are consecutive stages of, independently of the IR's pair marks (which
 * is what the compiler itself fuses by).
 */
import { assertNever } from '../../src/util/assert.js';
import type { ModelNode, ParamSlice } from '../../src/model/types.js';

export interface ConstructorRun {
  readonly constructorKind: string;
  /** The stages' weight slices in application order; undefined for a stage without weights (none today). */
  readonly weights: readonly (ParamSlice | undefined)[];
}

/** The constructor-tagged chains of a model, in order of first appearance, each tied map's once. */
export function constructorRuns(body: ModelNode): ConstructorRun[] {
  const runs: ConstructorRun[] = [];
  const seen = new Set<string>();
  const walk = (n: ModelNode): void => {
    switch (n.kind) {
      case 'ks':
      case 'bsr':
      case 'transpose':
      case 'bias':
        return;
      case 'chain':
        if (n.constructorKind !== undefined) runs.push({ constructorKind: n.constructorKind, weights: n.stages.map(weightOf) });
        return n.stages.forEach(walk);
      case 'sum':
        return n.terms.forEach(walk);
      case 'tied':
        if (seen.has(n.map)) return;
        seen.add(n.map);
        return walk(n.body);
      default:
        return assertNever(n, 'model node');
    }
  };
  walk(body);
  return runs;
}

function weightOf(n: ModelNode): ParamSlice | undefined {
  return n.kind === 'ks' || n.kind === 'bsr' ? n.weight : undefined;
}

const sameSlice = (a: ParamSlice | undefined, b: ParamSlice): boolean =>
  a !== undefined && a.tensor === b.tensor && a.offset === b.offset && a.length === b.length;

/**
 * The constructor of which the factors reading `first` and then `second` are consecutive stages
 * (`monarch` for blkdiag1 then blkdiag2), or undefined when they are not one constructor's.
 */
export function consecutiveStagesOf(runs: readonly ConstructorRun[], first: ParamSlice, second: ParamSlice): string | undefined {
  for (const run of runs)
    for (let i = 0; i + 1 < run.weights.length; i++) if (sameSlice(run.weights[i], first) && sameSlice(run.weights[i + 1], second)) return run.constructorKind;
  return undefined;
}
