import { MAX_NAME_LENGTH } from './limits.js';

/**
 * "did you mean …?" for misspelt names: the closest candidate within a small edit distance. Names
 * over the length limit get no suggestion (the distance is quadratic in the length). `spend` is
 * told the work of each step (a candidate looked at, character pairs compared) and stops the
 * search by returning false.
 */
export function closest(name: string, candidates: Iterable<string>, spend: (work: number) => boolean = () => true): string | undefined {
  if (name.length > MAX_NAME_LENGTH) return undefined;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    // The distance is at least the difference in length: skip the quadratic computation then.
    const compare = Math.abs(c.length - name.length) < bestDistance;
    if (!spend(1 + (compare ? name.length * c.length : 0))) return undefined;
    if (!compare) continue;
    const d = editDistance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

export function didYouMean(name: string, candidates: Iterable<string>, spend?: (work: number) => boolean): string {
  const c = closest(name, candidates, spend);
  return c === undefined ? '' : `; did you mean '${c}'?`;
}

/** Work one check may spend on suggestions among a module's own names (maps and constants). */
export const SUGGESTION_BUDGET = 5_000_000;

/**
 * Suggestions among a module's own names, within SUGGESTION_BUDGET for the whole check: thousands
 * of unknown names against thousands of declared ones would otherwise take minutes. Once it is
 * spent, unknown names are reported without a suggestion.
 */
export class Suggester {
  private left = SUGGESTION_BUDGET;

  didYouMean(name: string, candidates: Iterable<string>): string {
    return this.left <= 0 ? '' : didYouMean(name, candidates, (work) => (this.left -= work) > 0);
  }
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length];
}
