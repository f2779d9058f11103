/**
 * A low-rank pair U·V (the model's `lowrank` chain: V = K(1, r, in, 1) applied first, then
 * U = K(1, out, r, 1)): the truncated SVD of W (Eckart–Young), the exact optimum, while that is
 * affordable (min(m,n)²·max(m,n) ≤ 2·10⁹ multiply-adds, or when r is close to min(m,n));
 * beyond, the randomized range finder of Halko, Martinsson and Tropp (2011) with oversampling 10
 * and `powerIterations` (default 1) power iterations, re-orthonormalised by Householder QR at
 * each step: cost (2q + 2)·m·n·(r + 10) multiply-adds, error within a small factor of the optimum
 * (close to it for decaying spectra), reported exactly.
 */
import type { ChainNode, ModelNode } from '../model/types.js';
import { invariant } from '../util/assert.js';
import { eagerFit, zeroTensors, type Fit, type FitOptions } from './fit.js';
import { gemmNT, transpose } from './linalg/dense.js';
import { orthonormalRows } from './linalg/qr.js';
import { Rng } from './linalg/rng.js';
import { truncatedSvd } from './linalg/svd.js';

/** Multiply-adds up to which an exact SVD (the Gram matrix of the shorter side and its eigenpairs) is affordable. */
export const EXACT_SVD_BUDGET = 2e9;
const OVERSAMPLING = 10;

/** A chain the model marks as a low-rank pair U·V (two K(1,·,·,1) factors): its own closed form, a truncated SVD. */
export function isLowrankPair(n: ChainNode): boolean {
  return n.constructorKind === 'lowrank' && n.stages.length === 2 && n.stages.every((s) => s.kind === 'ks' && s.a === 1 && s.d === 1);
}

export function fitLowrank(pair: ChainNode, target: Float64Array, options: FitOptions): Fit {
  const [v, u] = pair.stages.map(denseFactor);
  const m = pair.out;
  const n = pair.in;
  const r = v.out;
  const small = Math.min(m, n);
  const l = Math.min(r + OVERSAMPLING, small);
  const exact = small * small * Math.max(m, n) <= EXACT_SVD_BUDGET || 2 * l >= small;
  const { left, right } = exact ? truncatedSvd(target, m, n, r) : randomizedSvd(target, m, n, r, l, options);
  const params = zeroTensors(pair, options);
  params.get(u.weight.tensor)!.set(left, u.weight.offset);
  params.get(v.weight.tensor)!.set(right, v.weight.offset);
  const approx = gemmNT(left, transpose(right, r, n), m, n, r);
  const method = exact ? 'truncated SVD' : `randomized SVD (oversampling ${OVERSAMPLING}, ${options.powerIterations} power iterations)`;
  // Either path gives back a W of rank ≤ r exactly (the range finder captures its whole range).
  return eagerFit(params, approx, target, method, exact, true);
}

/** A stage of the pair: a dense factor K(1, out, in, 1), weights (out, in) row-major. */
function denseFactor(stage: ModelNode) {
  invariant(stage.kind === 'ks' && stage.a === 1 && stage.d === 1, `low-rank stage '${stage.path}' is not a dense factor`);
  return stage;
}

function randomizedSvd(w: Float64Array, m: number, n: number, r: number, l: number, options: FitOptions) {
  // Every product as A·Bᵀ of row-major operands (gemmNT), so W is also needed transposed.
  const wt = transpose(w, m, n);
  const omegaT = new Rng(options.seed).gaussianArray(l * n); // Ωᵀ (l×n)
  let qt = orthonormalRows(gemmNT(omegaT, w, l, m, n), l, m); // (WΩ)ᵀ = Ωᵀ Wᵀ
  for (let it = 0; it < options.powerIterations; it++) {
    const zt = orthonormalRows(gemmNT(qt, wt, l, n, m), l, n); // (WᵀQ)ᵀ = Qᵀ W
    qt = orthonormalRows(gemmNT(zt, w, l, m, n), l, m); // (WZ)ᵀ = Zᵀ Wᵀ
  }
  const b = gemmNT(qt, wt, l, n, m); // B = Qᵀ W (l×n)
  const small = truncatedSvd(b, l, n, r);
  // U = Q · U_B: (m×r) = (Qᵀ)ᵀ (l×m)ᵀ · (l×r).
  return { left: gemmNT(transpose(qt, l, m), transpose(small.left, l, r), m, r, l), right: small.right };
}
