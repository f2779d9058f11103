/**
 * Levenberg–Marquardt on every parameter of a sum of products of sparse factors at once (a sum's terms, each a chain or
 * a single factor). A sum's alternation moves one term at a time, and the chains' refinement one factor at a time: block
 * coordinate descent, which converges linearly and can settle where no single block can move but all of them together
 * can (a butterfly or `monarch(order: 3)` term beside a mask, a Monarch beside blocks that do not line up with its own:
 * 1e-4–0.06 from a W of the class). Gauss–Newton steps on all parameters together converge quadratically near a W the
 * sum reaches; the damping (λ·I, Nielsen's update) keeps each step one that lowers ‖W − M‖, so the error never rises,
 * and handles the directions along which M does not change (a Monarch block's L·R = (L·S)(S⁻¹·R)).
 *
 * Parameters that share no entry of M are independent problems (a Monarch's rectangles, once a mask beside it is
 * eliminated: sum.ts fits the others to W off the masks' supports, `ignored` here), each solved on its own, with its
 * own damping, and where it settles short of W again from a second start (the terms' own fits to W with the supports
 * zeroed, the SVDs a low-rank completion starts from): one damping for all of them made the easy ones wait on the hard,
 * and from the alternation's values 2 of 16 rank-2 rectangles of `monarch(nblocks: 4) + blockdiag(nblocks: 3)` on
 * 24 -> 24 sat on local minima (0.09, 0.18) that the second start does not have.
 *
 * The Jacobian is sparse: an entry of M depends on the few parameters on its paths through the factors (a butterfly's
 * one per factor, a Monarch's block row and column, a mask's one entry), so JᵀJ is accumulated row by row of J; the
 * P × P normal equations are solved densely, which bounds the size this is for (POLISH_PARAMS).
 */
import { chainDense, sumOfProducts, type ProductValues } from './factors.js';
import { choleskySolve } from './linalg/cholesky.js';

/** Parameters (of a part) up to which the normal equations are formed and solved densely. */
const POLISH_PARAMS = 1500;
/**
 * Parameters and (parameters × entries of M), all products together, up to which the polish is tried at all: J, built
 * whole before the parts are known and again at every step, holds up to an entry of M per parameter (REV27-7: `lowrank(rank:
 * 64) + monarch(nblocks: 8)` on 512 -> 512, one part of 98k parameters, nothing to polish: a J of 37.7M entries, 450 MiB,
 * 12 s).
 */
const POLISH_TOTAL = 6000;
const POLISH_J_BOUND = 1e8;

/** Whether products of these parameter slices (each place's values) on an m × n M are small enough to polish. */
export function polishable(products: readonly ProductValues[], m: number, n: number): boolean {
  const count = [...new Set(products.flatMap((p) => p.values))].reduce((s, v) => s + v.length, 0);
  return count > 0 && count <= POLISH_TOTAL && count * m * n <= POLISH_J_BOUND;
}
/** Initial damping, relative to JᵀJ's largest diagonal entry: near a fit already, steps close to Gauss–Newton's. */
const TAU = 1e-6;
/** Damping past this multiple of JᵀJ's largest diagonal entry moves nothing measurable: the fit has settled. */
const MOST_DAMPING = 1e12;
/**
 * A problem has settled once its last WINDOW accepted steps together gained less than PLATEAU of its ‖W − M‖²: near a W
 * it reaches, the steps converge quadratically; at a floor (a W rounded to f32 off the class by 1e-9, or a local
 * minimum) they crawl, 587 steps for nothing where a W rounded to f32 sat 1.3e-9 from `sparse + lowrank`.
 */
const WINDOW = 5;
const PLATEAU = 1e-3;
/**
 * A step that gained less than this share of ‖W − M‖² ends its problem at once: at a minimum with r = W − M off J's
 * range, such a step's gain is ‖J·δ‖², so it moved M by under 1e-3 of its distance to W, and the next ones gain less
 * still (float64 noise after two): a W of the class rounded to f16 sits about 1e-4 off `monarch(nblocks: 4) +
 * lowrank(rank: 2)` where the rounds left it, and the window above took 4–5 steps of a 384-parameter problem from each
 * start (8–10, with the damping's rejected solves 1.2 s against the rounds' 0.18 s) to see that.
 */
const SETTLED = 1e-6;

/** J as rows: for each entry of M, the parameters it depends on and the derivatives (an entry may repeat a parameter). */
interface Jacobian {
  readonly start: Int32Array;
  readonly param: Int32Array;
  readonly value: Float64Array;
}

export interface PolishOptions {
  /** 1 at the entries of M that do not count (where other terms take whatever W − M leaves), if any. */
  readonly ignored: Uint8Array | undefined;
  /** Multiply-adds the steps may take. */
  readonly budget: number;
  /** Steps each problem may take from each start (a sum's `maxRounds`). */
  readonly maxSteps: number;
  /** ‖target − M‖² (over the entries that count) at which M has reached W. */
  readonly exact: number;
  /** Other values of each slice (by the products' arrays), a second start for the problems that settle short of W. */
  readonly alternative?: ReadonlyMap<Float64Array, Float64Array>;
}

/**
 * Moves the products' parameters (an array shared by several places is one slice, as in refine.ts) towards a minimum of
 * ‖target − M‖ by damped Gauss–Newton steps; `approx` (m × n) holds M on entry and is kept equal to it. Parameters that
 * share no entry of M (a Monarch's blocks, beside a mask its rectangles) are independent problems, each solved on its
 * own: its own damping and its own end, and normal equations of its size. At most `budget` multiply-adds and `maxSteps` steps
 * a problem and start, each problem stopping once its part of ‖target − M‖² is within its share of `exact` or its steps settle. Returns the steps taken.
 */
export function polishJointly(target: Float64Array, m: number, n: number, products: readonly ProductValues[], approx: Float64Array, { ignored, budget, maxSteps, exact, alternative }: PolishOptions): number {
  const slices = new Map<Float64Array, number>();
  const owner: { slice: Float64Array; element: number }[] = [];
  for (const { values } of products)
    for (const v of values)
      if (!slices.has(v)) {
        slices.set(v, owner.length);
        for (let e = 0; e < v.length; e++) owner.push({ slice: v, element: e });
      }
  const components = componentsOf(jacobianOf(products, slices, m, n), owner.length, ignored);
  const state: Polish = { target, m, n, products, slices, owner, approx, budget, maxSteps, spent: 0 };
  let steps = 0;
  for (const component of components) {
    const share = exact / components.length;
    steps += polishComponent(state, component, share);
    // A component that settled short of W: again from the other start, the better kept.
    if (!alternative || partError(state, component) <= share) continue;
    const kept = Float64Array.from(component.params, (p) => owner[p].slice[owner[p].element]);
    const keptError = partError(state, component);
    component.params.forEach((p) => (owner[p].slice[owner[p].element] = alternative.get(owner[p].slice)![owner[p].element]));
    approx.set(sumOfProducts(products, m, n));
    steps += polishComponent(state, component, share);
    if (partError(state, component) >= keptError) {
      component.params.forEach((p, k) => (owner[p].slice[owner[p].element] = kept[k]));
      approx.set(sumOfProducts(products, m, n));
    }
  }
  return steps;
}

/** ‖target − M‖² over a component's entries. */
function partError({ target, approx }: Polish, { entries }: Component): number {
  let sum = 0;
  for (const entry of entries) sum += (target[entry] - approx[entry]) ** 2;
  return sum;
}

/** What the problems of one polish share: W, the products, the parameters by index, M, and the multiply-adds. */
interface Polish {
  readonly target: Float64Array;
  readonly m: number;
  readonly n: number;
  readonly products: readonly ProductValues[];
  readonly slices: ReadonlyMap<Float64Array, number>;
  readonly owner: readonly { readonly slice: Float64Array; readonly element: number }[];
  readonly approx: Float64Array;
  readonly budget: number;
  readonly maxSteps: number;
  spent: number;
}

/** Parameters that no entry of M couples to others (by index), and the entries of M that depend on them. */
interface Component {
  readonly params: Int32Array;
  readonly entries: Int32Array;
}

/** The parameters joined by the entries that count (union–find over J's rows), those of POLISH_PARAMS or fewer. */
function componentsOf({ start, param }: Jacobian, count: number, ignored: Uint8Array | undefined): Component[] {
  const parent = Int32Array.from({ length: count }, (_, p) => p);
  const root = (p: number): number => {
    while (parent[p] !== p) p = parent[p] = parent[parent[p]];
    return p;
  };
  const entries = start.length - 1;
  for (let entry = 0; entry < entries; entry++) {
    if (ignored?.[entry]) continue;
    for (let k = start[entry] + 1; k < start[entry + 1]; k++) parent[root(param[k])] = root(param[start[entry]]);
  }
  const byRoot = new Map<number, { params: number[]; entries: number[] }>();
  for (let p = 0; p < count; p++) {
    const r = root(p);
    if (!byRoot.has(r)) byRoot.set(r, { params: [], entries: [] });
    byRoot.get(r)!.params.push(p);
  }
  for (let entry = 0; entry < entries; entry++)
    if (!ignored?.[entry] && start[entry + 1] > start[entry]) byRoot.get(root(param[start[entry]]))!.entries.push(entry);
  return [...byRoot.values()].filter((c) => c.params.length <= POLISH_PARAMS && c.entries.length > 0).map((c) => ({ params: Int32Array.from(c.params), entries: Int32Array.from(c.entries) }));
}

/** Levenberg–Marquardt on one component's parameters (Nielsen's damping update); its steps. */
function polishComponent(state: Polish, { params, entries }: Component, exact: number): number {
  const { target, m, n, products, slices, owner, approx, budget, maxSteps } = state;
  const count = params.length;
  const local = new Map<number, number>();
  params.forEach((p, k) => local.set(p, k));
  const distance = (a: Float64Array) => {
    let sum = 0;
    for (const entry of entries) sum += (target[entry] - a[entry]) ** 2;
    return sum;
  };
  let error = distance(approx);
  const solveCost = count ** 3 / 6 + products.reduce((s, p) => s + p.factors.reduce((t, f) => t + f.row.length, 0), 0) * n;
  const saved = new Float64Array(count);
  let steps = 0;
  let lambda = -1;
  let nu = 2;
  let settled = false;
  const history = [error];
  while (error > exact && steps < maxSteps) {
    const { gram, gradient, cost } = normalEquations(jacobianOf(products, slices, m, n), target, approx, entries, local);
    state.spent += cost;
    let largest = 0;
    for (let k = 0; k < count; k++) largest = Math.max(largest, gram[k * count + k]);
    if (largest === 0) return steps;
    if (lambda < 0) lambda = TAU * largest;
    let accepted = false;
    while (!accepted) {
      if (state.spent + solveCost > budget || lambda > MOST_DAMPING * largest) return steps;
      state.spent += solveCost;
      const damped = Float64Array.from(gram);
      for (let k = 0; k < count; k++) damped[k * count + k] += lambda;
      const step = choleskySolve(damped, gradient, count, 0);
      if (!step) {
        lambda *= nu;
        nu *= 2;
        continue;
      }
      params.forEach((p, k) => {
        const { slice, element } = owner[p];
        saved[k] = slice[element];
        slice[element] += step[k];
      });
      const next = sumOfProducts(products, m, n);
      const nextError = distance(next);
      // The gain the linear model promised: ‖r‖² − ‖r − J·δ‖² = δᵀg + λ‖δ‖² where (JᵀJ + λI)δ = g.
      let promised = 0;
      for (let k = 0; k < count; k++) promised += step[k] * (gradient[k] + lambda * step[k]);
      const rho = (error - nextError) / promised;
      if (nextError < error && rho > 0) {
        accepted = true;
        steps++;
        settled = error - nextError < SETTLED * error;
        error = nextError;
        history.push(error);
        approx.set(next);
        lambda *= Math.max(1 / 3, 1 - (2 * rho - 1) ** 3);
        nu = 2;
      } else {
        params.forEach((p, k) => (owner[p].slice[owner[p].element] = saved[k]));
        lambda *= nu;
        nu *= 2;
      }
    }
    if (settled || (history.length > WINDOW && history.at(-1 - WINDOW)! - error < PLATEAU * error)) return steps;
  }
  return steps;
}

/**
 * J at the products' current values: the derivative of M by entry e of factor i of a product is A[:, row_e] ⊗
 * B[col_e, :], A the product of the factors left of it and B of those right of it.
 */
function jacobianOf(products: readonly ProductValues[], slices: ReadonlyMap<Float64Array, number>, m: number, n: number): Jacobian {
  const places = products.flatMap(({ factors, values }) =>
    factors.map((f, i) => ({
      f,
      offset: slices.get(values[i])!,
      a: i > 0 ? chainDense(factors, values, 0, i) : undefined,
      b: i < factors.length - 1 ? chainDense(factors, values, i + 1, factors.length) : undefined,
    })),
  );
  // Each place's entries: output rows (A's column row_e, or row_e itself) times output columns (B's row col_e, or col_e).
  const visit = (emit: (entry: number, param: number, value: number) => void) => {
    for (const { f, offset, a, b } of places) {
      for (let e = 0; e < f.row.length; e++) {
        const r = f.row[e];
        const c = f.col[e];
        for (let i = 0; i < m; i++) {
          const ai = a ? a[i * f.rows + r] : i === r ? 1 : 0;
          if (ai === 0) continue;
          if (!b) {
            emit(i * n + c, offset + e, ai);
            continue;
          }
          const bc = c * n;
          for (let j = 0; j < n; j++) if (b[bc + j] !== 0) emit(i * n + j, offset + e, ai * b[bc + j]);
        }
      }
    }
  };
  const start = new Int32Array(m * n + 1);
  visit((entry) => start[entry + 1]++);
  for (let k = 0; k < m * n; k++) start[k + 1] += start[k];
  const fill = start.slice(0, m * n);
  const param = new Int32Array(start[m * n]);
  const value = new Float64Array(start[m * n]);
  visit((entry, p, v) => {
    param[fill[entry]] = p;
    value[fill[entry]++] = v;
  });
  return { start, param, value };
}

/** JᵀJ (lower triangle) and Jᵀ(target − approx) over one component's entries and parameters (`local`: index there), and the multiply-adds they took. */
function normalEquations({ start, param, value }: Jacobian, target: Float64Array, approx: Float64Array, entries: Int32Array, local: ReadonlyMap<number, number>) {
  const count = local.size;
  const gram = new Float64Array(count * count);
  const gradient = new Float64Array(count);
  let cost = 0;
  for (const entry of entries) {
    const r = target[entry] - approx[entry];
    const from = start[entry];
    const to = start[entry + 1];
    cost += ((to - from) * (to - from + 1)) / 2;
    for (let k = from; k < to; k++) {
      const pk = local.get(param[k])!;
      const vk = value[k];
      gradient[pk] += vk * r;
      for (let l = from; l <= k; l++) {
        const pl = local.get(param[l])!;
        // A parameter twice in one row (a slice in two places) has its cross term twice on the diagonal, once per triangle elsewhere.
        const add = pl === pk && l !== k ? 2 * vk * value[l] : vk * value[l];
        if (pl <= pk) gram[pk * count + pl] += add;
        else gram[pl * count + pk] += add;
      }
    }
  }
  return { gram, gradient, cost };
}
