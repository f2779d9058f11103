/**
 * lowrank(rank: r): the truncated SVD of W (Eckart–Young), the exact optimum, while that is
 * affordable (min(m,n)²·max(m,n) ≤ 2·10⁹ multiply-adds, or when r is close to min(m,n));
 * beyond, the randomized range finder of Halko, Martinsson and Tropp (2011) with oversampling 10
 * and `powerIterations` (default 2) power iterations, re-orthonormalised by Householder QR at
 * each step: cost (2q + 2)·m·n·(r + 10) multiply-adds, error within a small factor of the optimum
 * (close to it for decaying spectra), reported exactly.
 */
import type { LowrankNode } from '../../dsl/structure.js';
import { zeroTensors, type Fit, type FitOptions } from './fit.js';
import { matmul, matmulTransposeA, transposeTimes } from './linalg/dense.js';
import { orthonormalBasis } from './linalg/qr.js';
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
  const approx = matmul(left, right, m, r, n);
  const method = exact ? 'truncated SVD' : `randomized SVD (oversampling ${OVERSAMPLING}, ${options.powerIterations} power iterations)`;
  return { params, approx, method, optimal: exact };
}

function randomizedSvd(w: Float64Array, m: number, n: number, r: number, l: number, options: FitOptions) {
  const omega = new Rng(options.seed).gaussianArray(n * l);
  let q = orthonormalBasis(matmul(w, omega, m, n, l), m, l);
  for (let it = 0; it < options.powerIterations; it++) {
    const z = orthonormalBasis(matmulTransposeA(w, q, m, n, l), n, l);
    q = orthonormalBasis(matmul(w, z, m, n, l), m, l);
  }
  const b = transposeTimes(q, w, m, l, n); // Qᵀ W (l×n)
  const small = truncatedSvd(b, l, n, r);
  return { left: matmul(q, small.left, m, l, r), right: small.right };
}
