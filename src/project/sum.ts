/**
 * Sums A + B + … (e.g. sparse + lowrank): alternating projection, i.e. block coordinate descent
 * on ‖W − Σ M_i‖. Starting from all terms at zero, each round re-fits every term to the residual
 * W − Σ_{j≠i} M_j with that term's own projector (in the first round all but the last weighted term
 * to half of it: FIRST_SHARE). A new fit is kept only if it lowers the error
 * (heuristic projectors are not guaranteed to), so the error never increases.
 *
 * Plain alternation converges linearly and can be slow: `sparse + lowrank` of a W that is itself
 * sparse + lowrank needed 170–1000+ rounds to reach 1e-5 (the mask leaves few entries to pin the
 * low-rank part). So a term is fitted over-relaxed (successive over-relaxation): to
 * old + ω·(residual − old), ω = 1.5, which is kept only if it too is closer to the residual than
 * the old fit (for a linear projector such as the mask, any ω in (0, 2) is); a term whose
 * over-relaxed fit is refused once goes back to plain fits. Measured: 30–44 rounds instead of
 * 130–170 for that W at 64×96, and below 1e-9 on every exact case tried.
 *
 * Stops after `maxRounds` rounds, when a round lowers ‖W − M‖² by less than 1e-6 of itself, or
 * when ‖W − M‖ is below 1e-9 of ‖W‖ (under the rounding of stored parameters). The default
 * number of rounds grows where rounds are cheap: ROUND_BUDGET / (out·in), between 30 and 1000.
 *
 * A sum whose weighted terms are all of one family (jointFamily: truncated SVDs on the same blocks of W, as two
 * low-rank terms) has them fitted in the first round each to all of what the terms before it left, not half: one after
 * the other, those fits are the SVD at their summed rank, the optimum of their sum, claimed when each was a closed form.
 * From half shares both took W's leading directions and the rounds stopped there, gaining nothing (QA1 s23 Q201:
 * `lowrank(rank: 2) + lowrank(rank: 2)` 0.26–0.28 from a W of rank 4). A mixed sum with a repeated family keeps the half
 * shares: whole ones there were mostly worse on Gaussian 16×16 W (`lowrank(rank: 2) + monarch(nblocks: 4) + lowrank(rank:
 * 1)`: on 7 of 14 gaussianMatrix seeds by up to 9%, projection.md's figure; on 10 of 14 CLI seeds by up to 13%, REV s23 1),
 * though better on one W of its class. Apart, such terms can settle short of a W of the class (`lowrank + sparse +
 * lowrank` from `monc init`: 0.14, 1e-4), so a run that did not reach W is followed by one with them fitted as one unit
 * (Unit), the better kept.
 *
 * Two non-convex terms (a Monarch's per-block rank limit, a butterfly's hierarchical fit, and a
 * low-rank term) can settle on a fixed point that is not W even when W is in the class: from a start
 * where the Monarch took all of W, 4 of 10 random `monarch(nblocks: 4) + lowrank(rank: 2)` at 24
 * stopped at 0.05–0.12 (the half-share start reaches all ten). Fitting the terms in the reverse
 * order reached those W; so where rounds are cheap
 * (RETRY_SIZE) a sum of two or more weighted terms that did not reach W runs again in the reverse
 * order, from zero, and the better of the two is kept.
 *
 * A sum of low-rank and masked terms only that did not reach W is a low-rank completion off the masks' supports, which
 * the rounds (hard impute: the supports filled with L's own values, then an SVD) approach linearly and slowly where few
 * entries pin L: from the best run, L's factors are fitted there by alternating least squares (masked-lowrank.ts).
 *
 * A sum that settled near W (below RETRY_BELOW) but not on it goes on with Levenberg–Marquardt steps on all its terms'
 * parameters together (levenberg.ts): the alternation moves one term at a time and settles where only all of them
 * together can move (a butterfly or `monarch(order: 3)` beside a mask, a Monarch beside blocks that do not line up with
 * its own: 4e-4–0.06 from W of the class, which the steps reach). Its masked terms are eliminated first, as in the
 * completion: they take whatever W − M leaves on their supports, so the others are fitted to W off them.
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
import { isLowrankPair } from './lowrank.js';
import { factorProducts, sliceKey, sumOfProducts, type Factor, type ProductValues } from './factors.js';
import { polishable, polishJointly } from './levenberg.js';
import { completeLowrank } from './masked-lowrank.js';
import { EXACT, STALL } from './refine.js';

const OMEGA = 1.5;
/** Default rounds: this many matrix elements' worth of rounds, within [MIN_ROUNDS, MAX_ROUNDS]. */
const ROUND_BUDGET = 1e7;
const MIN_ROUNDS = 30;
const MAX_ROUNDS = 1000;
/** Sums up to this many elements (where the default rounds exceed MIN_ROUNDS: ~577×577) get a second run in the other order when the first did not reach W. */
const RETRY_SIZE = ROUND_BUDGET / MIN_ROUNDS;
/**
 * Iterations of the completion (completedBesideMasks) per round of the sum: it converges linearly too, at about a tenth
 * of a round's cost (20 -> 12, rank 3 beside band(width: 2), `monc init` seed 3: 1.5e-4 after 1000, 4.2e-6 after 5000).
 */
const COMPLETION_ROUNDS = 10;
/**
 * Multiply-adds the joint Levenberg–Marquardt steps may take (their normal equations and solves). The W of the class they
 * reached took 2e5–2e6 (test/project/sum-joint-polish.test.ts); a W off the class (rounded to f16, or Gaussian) can
 * spend all of it on small gains: 3e8 is under a second there, where 2e9 made such a sum up to 9 times slower.
 */
const POLISH_BUDGET = 3e8;
/**
 * ‖W − M‖² below this fraction of ‖W‖² (relative error 1e-7, f32 parameters' own rounding) is not polished: a W rounded
 * to f32 is off the class by about that, and the steps crawl there (`sparse(block: 3, band(width: 3)) + lowrank(rank: 6)`
 * on 21 -> 24 at 1.3e-9: 143 steps, 1.4 s, for nothing). Not W's `precision`, which decides only whether W was reached,
 * never the fit.
 */
const POLISH_ABOVE = 1e-14;
/** Rounds per window of the plateau rule, and the share of ‖W − M‖² a run must still expect to gain. */
const WINDOW = 5;
const PLATEAU = 1e-3;
/**
 * A first run that settled above this relative error is not rerun in the other order: the fixed
 * points that order avoids were at 0.05–0.31 for W of the class; a Gaussian W mostly settles at
 * 0.4–0.8, where a rerun doubles the time for a third digit (`sparse + lowrank` on some patterns
 * lower, 0.12–0.32 at 16×16, and runs twice).
 */
const RETRY_BELOW = 0.35;
/**
 * The share of its residual each weighted term but the last is fitted to in the first round. A term fitted to all of W
 * takes W's whole part on its support, leaving the next a residual exactly 0 there: for `sparse + lowrank`, W with the
 * pattern's blocks zeroed, which for a band or flat-butterfly pattern falls into pieces that share no row or column, so
 * its truncated SVD, and every later one, fits each piece on its own. Exact fits never leave that set: the rounds
 * settled on a saddle (QA2 s22 Q152: 0.424 on a Gaussian 16×16 with band(width: 2) and rank 2, where 0.26 is reached;
 * flat_butterfly(factors: 2) after 2 rounds at 0.41, where 0.17). Half of it leaves every term a start in general position.
 * Terms all of one family (jointFamily) take all of it instead: each later term's fit is then the next part of the
 * joint optimum, where from half of it it took the same leading directions again.
 */
const FIRST_SHARE = 0.5;

/** The default number of rounds for a sum whose W has `size` elements. */
export function defaultSumRounds(size: number): number {
  return Math.min(MAX_ROUNDS, Math.max(MIN_ROUNDS, Math.floor(ROUND_BUDGET / Math.max(1, size))));
}

interface Term {
  readonly node: ModelNode;
  /** Its jointFamily, or undefined. */
  readonly family: string | undefined;
  times: number;
  fit: Fit | undefined;
}

/**
 * What one step of the alternation fits: a weighted term, or all the terms of one jointFamily wherever they stand in the
 * sum (`lowrank + sparse + lowrank`), fitted one after the other, each to what the ones before it left: together the
 * optimum of their sum (the SVD at their summed rank), where fitted apart each took its rank of what the other left and
 * the two could settle short of a W of the class (QA1 s23 Q201's residual: 0.153; 0.14 and 0.09 from `monc init` seeds).
 */
interface Unit {
  readonly terms: readonly Term[];
  /** Σ times · M of its terms' fits, or undefined before its first fit. */
  approx: Float64Array | undefined;
  /** Its over-relaxed fit was refused once: plain fits from then on. */
  plain: boolean;
}

export function fitSum(s: SumNode, target: Float64Array, options: FitOptions, fitNode: (t: ModelNode, target: Float64Array, options: FitOptions) => Fit): Fit {
  const size = target.length;
  const terms = tiedTerms(s);
  const weightedTerms = terms.filter((t) => t.node.kind !== 'bias');
  // Two or more weighted terms alternate, each refitted every round (FitOptions.refitEachRound).
  const termOptions = weightedTerms.length > 1 ? { ...options, refitEachRound: true } : options;
  const fitTerm = (t: ModelNode, residual: Float64Array) => fitNode(t, residual, termOptions);
  // One weighted term (`monarch(...) + bias()`): its own projection of W is the whole answer, one
  // round whatever `maxRounds` says (which still reaches its fit, e.g. a chain's refinement); 0
  // rounds wrote a zero layer (QA s19 Q80).
  const rounds = weightedTerms.length === 1 ? 1 : (options.maxRounds ?? defaultSumRounds(size));
  const norm2 = squaredDistance(target, new Float64Array(size));
  const exact = EXACT * norm2;
  const oneFamily = weightedTerms.length > 1 && weightedTerms.every((t) => t.family !== undefined && t.family === weightedTerms[0].family);
  let best = alternate(terms, target, rounds, oneFamily, fitTerm);
  // Terms of one family fitted one after the other by closed forms: the optimum (jointFamily), kept by later rounds.
  const jointOptimum = oneFamily && best.firstFitsOptimal;
  // Runs from zero again, in turn while the best so far did not reach W (where rounds are cheap and it settled low
  // enough to be such a fixed point): two non-convex terms (monarch or butterfly + lowrank) can settle on a fixed point
  // far from a W of the class (0.05–0.27 seen), which the other order of fits avoids; terms of one family apart in a
  // mixed sum (`lowrank + sparse + lowrank`), fitted each on its own, can settle where fitting them as one does not.
  const families = weightedTerms.flatMap((t) => (t.family === undefined ? [] : [t.family]));
  const reruns: [string, (again: Term[]) => Alternation][] = [['terms fitted in reverse order', (again) => alternate([...again].reverse(), target, rounds, oneFamily, fitTerm)]];
  if (!oneFamily && new Set(families).size < families.length) reruns.push(['terms of one family fitted as one', (again) => alternate(again, target, rounds, true, fitTerm)]);
  let rerun = '';
  for (const [name, run] of reruns) {
    if (jointOptimum || best.error <= exact || best.error >= RETRY_BELOW ** 2 * norm2 || weightedTerms.length < 2 || size > RETRY_SIZE) break;
    const again = tiedTerms(s);
    const other = run(again);
    if (other.error < best.error) {
      best = { ...other, terms: again };
      rerun = ` (${name})`;
    }
  }
  // Low-rank terms beside masked terms only: the low-rank part completed off the supports (masked-lowrank.ts), from the
  // best run, where rounds are cheap; kept where closer to W.
  let completion = '';
  if (!jointOptimum && best.error > exact && weightedTerms.length > 1 && size <= RETRY_SIZE && rounds > 0) {
    const completed = completedBesideMasks(best, target, COMPLETION_ROUNDS * rounds, exact, fitTerm);
    if (completed) {
      best = completed.alternation;
      completion = ` + ${completed.ran} round${completed.ran === 1 ? '' : 's'} of alternating least squares on the low-rank part off the masked terms' supports`;
    }
  }
  // Every parameter of every term at once (levenberg.ts), where the best run settled near W but not on it and the normal
  // equations are small enough to solve; kept where closer to W.
  let polish = '';
  let polished: ReadonlyMap<string, Float64Array> | undefined;
  if (!jointOptimum && best.error > POLISH_ABOVE * norm2 && best.error < RETRY_BELOW ** 2 * norm2 && weightedTerms.length > 1 && size <= RETRY_SIZE && rounds > 0) {
    const joint = polishedJointly(s, best, target, options, rounds, exact, fitTerm);
    if (joint) {
      best = joint.alternation;
      polished = joint.params;
      polish = ` + ${joint.steps} Levenberg–Marquardt step${joint.steps === 1 ? '' : 's'} on all terms' parameters together`;
    }
  }
  const { total, error, ran } = best;
  const params = zeroTensors(s, options);
  const methods: string[] = [];
  for (const term of best.terms) {
    if (term.fit) for (const [name, values] of term.fit.params) params.set(name, values);
    methods.push(term.node.kind === 'bias' ? 'bias: zero' : (term.fit?.method ?? 'zero'));
  }
  if (polished) for (const [name, values] of polished) params.set(name, values);
  // With a single weighted term (e.g. `monarch(...) + bias()`) the first round is that term's own
  // projection of W, so the sum is exactly as optimal as that projector.
  const weighted = best.terms.filter((t) => t.node.kind !== 'bias');
  const optimal = jointOptimum || (weighted.length === 1 && (weighted[0].fit?.optimal ?? false));
  const exactInClass = jointOptimum || (weighted.length === 1 && (weighted[0].fit?.exactInClass ?? false));
  return { params, approx: () => total, residual2: error, method: `alternating projection, ${ran} round${ran === 1 ? '' : 's'}${rerun}${jointOptimum ? ' (terms of one family, fitted one after the other: the SVD at their summed rank)' : ''} [${methods.join('; ')}]${completion}${polish}`, optimal, exactInClass };
}

/**
 * Whether the error has settled on a positive floor: the gain of the last WINDOW rounds over the
 * window before, q, extrapolated geometrically (what is left to gain ≈ gain · q / (1 − q)), is
 * under PLATEAU of the error left, or the last WINDOW rounds together gained less than that.
 * Error falling towards 0 at a steady rate r keeps what is left to gain equal to the error
 * itself, so a W of the class runs on; a W outside it stops once its last few percent would cost
 * hundreds of rounds (monarch + lowrank on a Gaussian 96×96: 0.435 after 30 rounds, 0.421 after
 * 1000).
 */
function plateaued(history: readonly number[]): boolean {
  const n = history.length - 1;
  // Never fewer rounds than MIN_ROUNDS (what a sum always had): the rule only cuts longer runs.
  if (n < Math.max(MIN_ROUNDS, 2 * WINDOW)) return false;
  const recent = history[n - WINDOW] - history[n];
  const earlier = history[n - 2 * WINDOW] - history[n - WINDOW];
  const q = earlier > 0 ? recent / earlier : 0;
  // Slow but steady (a W outside the class creeping down by 0.01% a round) counts as settled too.
  return recent < PLATEAU * history[n] || (q < 1 && (recent * q) / (1 - q) < PLATEAU * history[n]);
}

/** What one run of alternating projection ended with: its terms' fits, M, ‖W − M‖² and the rounds it ran. */
interface Alternation {
  readonly terms: readonly Term[];
  readonly total: Float64Array;
  readonly error: number;
  readonly ran: number;
  /** A first round ran, and every weighted term's fit in it was a closed form (Fit.optimal). */
  readonly firstFitsOptimal: boolean;
}

/**
 * Rounds of fits of `terms`' units (unitsOf: one a term, or where `grouped` the terms of one family), in this order,
 * from zero, until `rounds`, a stall, or M within EXACT of W. In the first round every unit but the last is fitted to
 * FIRST_SHARE of its residual (see there); a sum whose weighted terms are all of one family, grouped, is one unit, so
 * each of them takes all of what the ones before it left.
 */
function alternate(terms: readonly Term[], target: Float64Array, rounds: number, grouped: boolean, fitTerm: (t: ModelNode, target: Float64Array) => Fit): Alternation {
  const size = target.length;
  const total = new Float64Array(size);
  const residual = new Float64Array(size);
  // A term without parameters (a transpose; only from code: the DSL's sums refuse one, E0507) has one M whatever its
  // fit, which the zero parameters of no round keep too: M starts at theirs (REV s25 7: it started at 0, and 0 rounds
  // reported relative error 1 for parameters whose M was the permutation, 0.04 from W).
  const fixed = terms.filter((t) => t.node.kind !== 'bias' && tensorNames(t.node).length === 0);
  for (const term of fixed) {
    term.fit = fitTerm(term.node, target);
    const approx = term.fit.approx();
    for (let i = 0; i < size; i++) total[i] += term.times * approx[i];
  }
  const units = unitsOf(terms.filter((t) => t.node.kind !== 'bias' && !fixed.includes(t)), grouped);
  let error = squaredDistance(target, total);
  const exact = EXACT * squaredDistance(target, new Float64Array(size));
  let ran = 0;
  const history = [error];
  const lastUnit = units.at(-1);
  // No round, no fit: zero parameters are no family's optimum (QA1 s23 Q205: `maxRounds: 0` claimed it).
  let firstFitsOptimal = rounds > 0;
  for (let round = 0; round < rounds; round++) {
    const before = error;
    ran = round + 1;
    for (const unit of units) {
      const old = unit.approx;
      const share = round === 0 && unit !== lastUnit ? FIRST_SHARE : 1;
      // residual = W − Σ_{other units}
      for (let i = 0; i < size; i++) residual[i] = share * (target[i] - total[i] + (old ? old[i] : 0));
      const fit = old ? refit(unit, old, residual, fitTerm) : fitUnit(unit, residual, fitTerm);
      if (round === 0) firstFitsOptimal &&= fit?.fits.every((f) => f.optimal) ?? false;
      if (!fit) continue;
      for (let i = 0; i < size; i++) total[i] += fit.approx[i] - (old ? old[i] : 0);
      unit.terms.forEach((term, k) => (term.fit = fit.fits[k]));
      unit.approx = fit.approx;
    }
    error = squaredDistance(target, total);
    history.push(error);
    if (before - error <= STALL * before || error <= exact || plateaued(history)) break;
  }
  return { terms, total, error, ran, firstFitsOptimal };
}

/** The weighted terms with parameters as units: each term alone, or where `grouped` the terms of one jointFamily together, where the first of them stands. */
function unitsOf(terms: readonly Term[], grouped: boolean): Unit[] {
  const units: Unit[] = [];
  const byFamily = new Map<string, Term[]>();
  for (const term of terms) {
    const family = grouped ? term.family : undefined;
    const members = family === undefined ? undefined : byFamily.get(family);
    if (members) {
      members.push(term);
      continue;
    }
    const unit: Unit = { terms: [term], approx: undefined, plain: false };
    if (family !== undefined) byFamily.set(family, unit.terms as Term[]);
    units.push(unit);
  }
  return units;
}

/** A unit's terms fitted to `target` one after the other, each to what the ones before it left (a term used c times to that over c), and their Σ c·M. */
function fitUnit(unit: Unit, target: Float64Array, fitTerm: (t: ModelNode, target: Float64Array) => Fit): { fits: Fit[]; approx: Float64Array } {
  const left = Float64Array.from(target);
  const fits = unit.terms.map((term) => {
    const c = term.times;
    const fit = fitTerm(term.node, left.map((v) => v / c));
    const approx = fit.approx();
    for (let i = 0; i < left.length; i++) left[i] -= c * approx[i];
    return fit;
  });
  return { fits, approx: target.map((v, i) => v - left[i]) };
}

/**
 * A unit's new fit to `residual`, or undefined to keep `old`: the over-relaxed fit while the unit
 * takes them, else (or when it is not closer to the residual than `old`) the plain one, kept only
 * if closer than `old`.
 */
function refit(unit: Unit, old: Float64Array, residual: Float64Array, fitTerm: (t: ModelNode, target: Float64Array) => Fit): { fits: Fit[]; approx: Float64Array } | undefined {
  const oldDistance = squaredDistance(residual, old);
  if (!unit.plain) {
    const over = residual.map((r, i) => old[i] + OMEGA * (r - old[i]));
    const fit = fitUnit(unit, over, fitTerm);
    if (squaredDistance(residual, fit.approx) < oldDistance) return fit;
    unit.plain = true;
  }
  const fit = fitUnit(unit, residual, fitTerm);
  return squaredDistance(residual, fit.approx) < oldDistance ? fit : undefined;
}

/**
 * `run` with its low-rank terms' sum completed by alternating least squares off its masked terms' supports
 * (completeLowrank), then split between them as one unit (the SVD at their summed rank) and the masked terms fitted to
 * what it leaves, where its weighted terms are only those two kinds and that is closer to W; else undefined.
 */
function completedBesideMasks(run: Alternation, target: Float64Array, rounds: number, exact: number, fitTerm: (t: ModelNode, target: Float64Array) => Fit): { alternation: Alternation; ran: number } | undefined {
  const weighted = run.terms.filter((t) => t.node.kind !== 'bias');
  const lowrank = weighted.filter((t) => t.family === 'lowrank' && t.fit);
  const masked = weighted.filter((t) => isMasked(t.node));
  if (lowrank.length === 0 || masked.length === 0 || lowrank.length + masked.length !== weighted.length) return undefined;
  const { out: m, in: n } = weighted[0].node;
  const size = target.length;
  const start = new Float64Array(size);
  for (const term of lowrank) term.fit!.approx().forEach((v, i) => (start[i] += term.times * v));
  const rank = lowrank.reduce((r, t) => r + lowrankRank(t.node), 0);
  const completed = completeLowrank(target, supportOf(masked, size, fitTerm), m, n, rank, start, rounds, exact);
  if (!(completed.error2 < run.error)) return undefined;
  const lowFit = fitUnit({ terms: lowrank, approx: undefined, plain: false }, completed.approx, fitTerm);
  lowrank.forEach((term, k) => (term.fit = lowFit.fits[k]));
  const { fits, total } = withMaskedFits(masked, target, lowFit.approx, fitTerm);
  masked.forEach((term, k) => (term.fit = fits[k]));
  return { alternation: { ...run, total, error: squaredDistance(target, total) }, ran: completed.ran };
}

/** 1 where one of the masked terms has an entry (a masked copy of ones is 1 on its term's support). */
function supportOf(masked: readonly Term[], size: number, fitTerm: (t: ModelNode, target: Float64Array) => Fit): Uint8Array {
  const taken = new Uint8Array(size);
  for (const term of masked) fitTerm(term.node, new Float64Array(size).fill(1)).approx().forEach((v, i) => (taken[i] |= v !== 0 ? 1 : 0));
  return taken;
}

/**
 * The masked terms' fits, each in turn to what W less the other terms' M (`others`) and the masked terms before it
 * leaves (a term used c times to that over c): together they take all of W − others on their supports; and the M of all.
 */
function withMaskedFits(masked: readonly Term[], target: Float64Array, others: Float64Array, fitTerm: (t: ModelNode, target: Float64Array) => Fit): { fits: Fit[]; total: Float64Array } {
  const left = target.map((w, i) => w - others[i]);
  const fits = masked.map(({ node, times: c }) => {
    const fit = fitTerm(node, left.map((v) => v / c));
    const approx = fit.approx();
    for (let i = 0; i < left.length; i++) left[i] -= c * approx[i];
    return fit;
  });
  return { fits, total: target.map((w, i) => w - left[i]) };
}

/**
 * `run` moved by Levenberg–Marquardt steps (polishJointly; at most `rounds`, the sum's, a part and start) on all parameters of its terms that are not masked, from
 * their fits, against W off the masked terms' supports (the masked terms take whatever W − M leaves there, as in
 * completedBesideMasks: eliminated, they leave a smaller problem), then the masked terms fitted to what the others
 * leave; with the parameters by name, where that is closer to W; else undefined.
 */
function polishedJointly(s: SumNode, run: Alternation, target: Float64Array, options: FitOptions, rounds: number, exact: number, fitTerm: (t: ModelNode, target: Float64Array) => Fit): { alternation: Alternation; params: ReadonlyMap<string, Float64Array>; steps: number } | undefined {
  const { out: m, in: n } = s;
  const size = target.length;
  const weighted = run.terms.filter((t) => t.node.kind !== 'bias');
  const masked = weighted.filter((t) => isMasked(t.node));
  const others = weighted.filter((t) => !isMasked(t.node));
  const params = zeroTensors(s, options);
  for (const term of others) if (term.fit) for (const [name, values] of term.fit.params) params.set(name, Float64Array.from(values));
  // A term used c times is c places of its products; the places of one parameter slice read one array, a view of its tensor.
  const products = others.flatMap((t) => Array.from({ length: t.times }, () => factorProducts(t.node).products).flat());
  // Products without parameters (a transpose term) are fixed permutations: the others fit what they leave.
  const fixed = new Float64Array(size);
  for (const { fixed: dest } of products) dest?.forEach((y, x) => (fixed[y * n + x] += 1));
  const slices = new Map<string, Float64Array>();
  const sliceOf = (f: Factor) => {
    const key = sliceKey(f);
    if (!slices.has(key)) slices.set(key, params.get(f.tensor)!.subarray(f.offset, f.offset + f.row.length));
    return slices.get(key)!;
  };
  const free: ProductValues[] = products.filter((p) => p.factors.length > 0).map(({ factors }) => ({ factors, values: factors.map(sliceOf) }));
  if (!polishable(free, m, n)) return undefined;
  const approx = sumOfProducts(free, m, n);
  const ignored = masked.length > 0 ? supportOf(masked, size, fitTerm) : undefined;
  // The second start: each term's own fit to what the others leave, with the masks' supports zeroed (their SVDs' start
  // in a low-rank completion), where the alternation's fits settled on another solution of a part.
  const alternative = new Map<Float64Array, Float64Array>();
  for (const term of others) {
    const left = target.map((w, i) => (ignored?.[i] ? 0 : w - fixed[i] - approx[i] + term.times * (term.fit?.approx()[i] ?? 0)) / term.times);
    const fit = fitTerm(term.node, left);
    for (const { factors } of factorProducts(term.node).products) for (const f of factors) alternative.set(sliceOf(f), fit.params.get(f.tensor)!.subarray(f.offset, f.offset + f.row.length));
  }
  const steps = polishJointly(target.map((w, i) => w - fixed[i]), m, n, free, approx, { ignored, budget: POLISH_BUDGET, maxSteps: rounds, exact, alternative });
  // No step taken: the run stands as it was (REV27-8: the masked terms' refit alone said `+ 0 … steps`).
  if (steps === 0) return undefined;
  const { fits, total } = withMaskedFits(masked, target, approx.map((x, i) => x + fixed[i]), fitTerm);
  const error = squaredDistance(target, total);
  if (!(error < run.error)) return undefined;
  masked.forEach((term, k) => (term.fit = fits[k]));
  for (const fit of fits) for (const [name, values] of fit.params) params.set(name, values);
  return { alternation: { ...run, total, error }, params, steps };
}

/** A term of one factor (dense, blockdiag, ks, diag, sparse): its projection is the masked copy of W on its support. */
function isMasked(node: ModelNode): boolean {
  return node.kind === 'tied' ? isMasked(node.body) : node.kind === 'ks' || node.kind === 'bsr';
}

/** The rank of a low-rank term: the width of its pair's first factor (V: K(1, r, in, 1)). */
function lowrankRank(node: ModelNode): number {
  return node.kind === 'tied' ? lowrankRank(node.body) : node.kind === 'chain' ? node.stages[0].out : 0;
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
    const term: Term = { node: t, family: jointFamily(t), times: 1, fit: undefined };
    names.forEach((name) => owner.set(name, term));
    terms.push(term);
  }
  return terms;
}

/**
 * Terms whose projectors are truncated SVDs on the same blocks of W share a family: every low-rank pair (one block, the
 * whole matrix), and Monarch terms of one structure (two factors whose block SVDs use the same blocks). Fitted one after
 * the other, each to what the ones before it left, their fits are on each block the SVD at their summed rank, the
 * optimum of their sum (Eckart–Young), whose class is exactly the matrices of that rank on those blocks.
 */
function jointFamily(node: ModelNode): string | undefined {
  if (node.kind === 'tied') return jointFamily(node.body);
  if (node.kind !== 'chain') return undefined;
  if (isLowrankPair(node)) return 'lowrank';
  // The structure without the names of its tensors and nodes: the same sizes, factors and blocks.
  if (node.constructorKind === 'monarch') return `monarch ${JSON.stringify(node, (key, value: unknown) => (['weight', 'path', 'span'].includes(key) ? undefined : value))}`;
  return undefined;
}
