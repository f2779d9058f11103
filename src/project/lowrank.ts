/**
 * lowrank(rank: r): the truncated SVD of W (Eckart–Young), the exact optimum, while that is
 * affordable (min(m,n)²·max(m,n) ≤ 2·10⁹ multiply-adds, or when r is close to min(m,n));
 * beyond, the randomized range finder of Halko, Martinsson and Tropp (2011) with oversampling 10
 * and `powerIterations` (default 1) power iterations, re-orthonormalised by Householder QR at
 * each step: cost (2q + 2)·m·n·(r + 10) multiply-adds, error within a small factor of the optimum
 * (close to it for decaying spectra), reported exactly.
 */
import type { LowrankNode } from '../dsl/structure.js';
import { eagerFit, zeroTensors, type Fit, type FitOptions } from './fit.js';
import { gemmNT, transpose } from './linalg/dense.js';
import { orthonormalRows } from './linalg/qr.js';
import { Rng } from './linalg/rng.js';
import { truncatedSvd } from './linalg/svd.js';

const EXACT_BUDGET = 2e9;
const OVERSAMPLING = 10;

export function fitLowrank(s: LowrankNode, target: Float64Array, options: FitOptions): Fit {
  const m = s.out;
  const n = s.in;
  const r = s.rank;
  const small = Math.min(m, n);
  const l = Math.min(r + OVERSAMPLING, small);
  const exact = small * small * Math.max(m, n) <= EXACT_BUDGET || 2 * l >= small;
  const { left, right } = exact ? truncatedSvd(target, m, n, r) : randomizedSvd(target, m, n, r, l, options);
  const params = zeroTensors(s);
  params.get(`${s.path}.U`)!.set(left);
  params.get(`${s.path}.V`)!.set(right);
  const approx = gemmNT(left, transpose(right, r, n), m, n, r);
  const method = exact ? 'truncated SVD' : `randomized SVD (oversampling ${OVERSAMPLING}, ${options.powerIterations} power iterations)`;
  return eagerFit(params, approx, target, method, exact);
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
