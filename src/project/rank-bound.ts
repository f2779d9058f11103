/**
 * A floor under every chain's error: its product has rank at most R, the chain's generic rank
 * (`genericRank`), so no M of its class is closer to W than W's best rank-R approximation
 * (Eckart–Young), ‖W‖² − σ₁² − … − σ_R². A heuristic fit whose error meets that floor is the
 * optimum after all: `lowrank(rank: 3) @ monarch(nblocks: 4) @ lowrank(rank: 5)` takes any matrix of
 * rank ≤ 3, which its hierarchical fit reaches, though no free part of it covers the class.
 */
import { genericRank } from './generic-rank.js';
import type { Factor } from './factors.js';
import { gramRows, squaredNorm, transpose } from './linalg/dense.js';
import { topEigenpairs } from './linalg/sym-eig.js';
import { EXACT_SVD_BUDGET } from './lowrank.js';

/** Above the floor by this fraction of ‖W‖² at most: the Gram eigenvalues' rounding (≈ ε·σ₁² each), not a worse fit. */
const TOLERANCE = 1e-10;

/**
 * The chain's generic rank if ‖W − M‖² = `residual2` is the Eckart–Young error there, else
 * undefined. Only where that rank is below min(m, n) (else the floor is 0 and only reaching W
 * meets it) and the Gram eigenproblem fits the exact SVD's budget (`lowrank`'s): else the fit stays a heuristic.
 */
export function rankFloorMet(target: Float64Array, m: number, n: number, factors: readonly Factor[], residual2: number): number | undefined {
  const small = Math.min(m, n);
  const large = Math.max(m, n);
  if (small * small * large > EXACT_SVD_BUDGET) return undefined;
  const rank = genericRank(factors, m);
  if (rank >= small) return undefined;
  const norm2 = squaredNorm(target);
  const gram = gramRows(m <= n ? target : transpose(target, m, n), small, large);
  const captured = topEigenpairs(gram, small, rank).values.reduce((s, v) => s + v, 0);
  return residual2 <= norm2 - captured + TOLERANCE * norm2 ? rank : undefined;
}
