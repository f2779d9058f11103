/**
 * A factor with one entry in each row and each column (`diag()`, any K(a,1,1,d): a permutation
 * times a diagonal) beside another factor adds nothing to the chain's class: with every entry of
 * G its own parameter, G·P·D takes exactly the matrices G·P does (D scales G's columns, which G's
 * entries can do themselves). So such factors are folded into a neighbour, their permutation into
 * its columns or rows as transposes are (factors.ts), and set to 1: `diag() @ monarch(nblocks: 4)`
 * gets Monarch's block SVD, the optimum, where the three-factor fit was a heuristic (QA2 s19 R81).
 */
import { permuteColumns, permuteRows, type Factor } from './factors.js';

/** Whether `f` is square with exactly one entry in each row and each column. */
export function isMonomial(f: Factor): boolean {
  if (f.rows !== f.cols || f.row.length !== f.rows) return false;
  const rowSeen = new Uint8Array(f.rows);
  const colSeen = new Uint8Array(f.cols);
  for (let e = 0; e < f.row.length; e++) rowSeen[f.row[e]] = colSeen[f.col[e]] = 1;
  return rowSeen.every((x) => x === 1) && colSeen.every((x) => x === 1);
}

/**
 * The chain with its monomial factors folded into their neighbours (each into the factor on its
 * left, or on its right at the left end; one factor always stays), and the folded ones, whose
 * parameters are 1.
 */
export function foldMonomials(factors: readonly Factor[]): { readonly factors: Factor[]; readonly folded: Factor[] } {
  const kept: Factor[] = [];
  const folded: Factor[] = [];
  // A monomial at the left end waits for the first factor kept: P·D·G, its rows permuted.
  let leading: Int32Array | undefined;
  for (const f of factors) {
    const last = kept.length - 1;
    if (!isMonomial(f) || (last < 0 && leading === undefined && factors.every(isMonomial))) {
      kept.push(leading ? permuteRows(f, leading) : f);
      leading = undefined;
      continue;
    }
    // F maps input f.col[e] to output f.row[e].
    const dest = new Int32Array(f.cols);
    f.row.forEach((r, e) => (dest[f.col[e]] = r));
    folded.push(f);
    if (last >= 0) kept[last] = permuteColumns(kept[last], dest);
    else {
      // P₁·(P₂·G): G's output c goes through P₂, then P₁.
      const outer = leading;
      leading = outer ? dest.map((y) => outer[y]) : dest;
    }
  }
  return { factors: kept, folded };
}
