/**
 * Sums A + B + … (e.g. sparse + lowrank): alternating projection, i.e. block coordinate descent
 * on ‖W − Σ M_i‖. Starting from all terms at zero, each round re-fits every term to the residual
 * W − Σ_{j≠i} M_j with that term's own projector. A new fit is kept only if it lowers the error
 * (heuristic projectors are not guaranteed to), so the error never increases. Stops after
 * `maxRounds` (default 30) or when a round lowers ‖W − M‖² by less than 1e-6 of itself.
 *
 * bias(): the linear part of W has no affine term, and the bias does not change M, so it stays 0;
 * a sum of one weighted term and bias() is therefore optimal when that term's projector is.
 * A term repeated c times (two `tied` uses of the same map) is fitted once to the
 * residual divided by c (min ‖R − c·T‖ = c·min ‖R/c − T‖).
 */
import type { ModelNode, SumNode } from '../model/types.js';
import { ProjectionError } from './errors.js';
import { tensorNames, zeroTensors, type Fit, type FitOptions } from './fit.js';
import { squaredDistance } from './linalg/dense.js';

const STALL = 1e-6;
const DEFAULT_ROUNDS = 30;

interface Term {
  readonly node: ModelNode;
  times: number;
  fit: Fit | undefined;
}

export function fitSum(s: SumNode, target: Float64Array, options: FitOptions, fitTerm: (t: ModelNode, target: Float64Array) => Fit): Fit {
  const terms = tiedTerms(s);
  const size = target.length;
  const total = new Float64Array(size);
  const residual = new Float64Array(size);
  const rounds = options.maxRounds ?? DEFAULT_ROUNDS;
  let error = squaredDistance(target, total);
  let ran = 0;
  for (let round = 0; round < rounds; round++) {
    const before = error;
    ran = round + 1;
    for (const term of terms) {
      if (term.node.kind === 'bias') continue;
      const c = term.times;
      const old = term.fit?.approx();
      // residual = (W − Σ_{others}) / c
      for (let i = 0; i < size; i++) residual[i] = (target[i] - total[i] + (old ? c * old[i] : 0)) / c;
      const fit = fitTerm(term.node, residual);
      const approx = fit.approx();
      if (old && squaredDistance(residual, approx) >= squaredDistance(residual, old)) continue;
      for (let i = 0; i < size; i++) total[i] += c * (approx[i] - (old ? old[i] : 0));
      term.fit = fit;
    }
    error = squaredDistance(target, total);
    if (before - error <= STALL * before) break;
  }
  const params = zeroTensors(s, options);
  const methods: string[] = [];
  for (const term of terms) {
    if (term.fit) for (const [name, values] of term.fit.params) params.set(name, values);
    methods.push(term.node.kind === 'bias' ? 'bias: zero' : (term.fit?.method ?? 'zero'));
  }
  // With a single weighted term (e.g. `monarch(...) + bias()`) the first round is that term's own
  // projection of W, so the sum is exactly as optimal as that projector.
  const weighted = terms.filter((t) => t.node.kind !== 'bias');
  const optimal = weighted.length === 1 && (weighted[0].fit?.optimal ?? false);
  return { params, approx: () => total, residual2: error, method: `alternating projection, ${ran} round${ran === 1 ? '' : 's'} [${methods.join('; ')}]`, optimal };
}

/** The terms of a sum with repeats of the same map merged; any other sharing of parameters is refused. */
function tiedTerms(s: SumNode): Term[] {
  const terms: Term[] = [];
  const owner = new Map<string, Term>();
  for (const t of s.terms) {
    const names = tensorNames(t);
    const same = names.length > 0 ? owner.get(names[0]) : undefined;
    if (same && same.node.kind === 'tied' && t.kind === 'tied' && same.node.map === t.map) {
      same.times += 1;
      continue;
    }
    const clash = names.find((name) => owner.has(name));
    if (clash) throw new ProjectionError(`cannot project '${s.path}': parameter '${clash}' is shared by two different terms of the sum`);
    const term: Term = { node: t, times: 1, fit: undefined };
    names.forEach((name) => owner.set(name, term));
    terms.push(term);
  }
  return terms;
}
