/**
 * decodeManifest's check (src/manifest/model-ops.ts) finds one index map step by its canonical form alone and
 * tabulates it only to compare it with permutations that are no one step: two canonical steps of one size must then be
 * one permutation exactly where their forms are equal (else a valid manifest would be refused), and a step that
 * mergeSteps makes of two must be their composition (else another permutation would pass for theirs). Both checked on
 * every step up to 64 indices, and every pair of steps of a few sizes.
 */
import { describe, expect, it } from 'vitest';
import { indexMapTable, mergeSteps, normalizeStep, type AxisPermutation } from '../../src/manifest/index-map.js';

/** Every ordered factorization of n into factors of at least 2. */
function factorizations(n: number): number[][] {
  if (n === 1) return [[]];
  const out: number[][] = [];
  for (let f = 2; f <= n; f++) if (n % f === 0) for (const rest of factorizations(n / f)) out.push([f, ...rest]);
  return out;
}

function permutations(k: number): number[][] {
  if (k === 0) return [[]];
  return permutations(k - 1).flatMap((p) => Array.from({ length: k }, (_, i) => [...p.slice(0, i), k - 1, ...p.slice(i)]));
}

/** Every step of size n (axes of 1 aside), as written. */
const stepsOf = (n: number): AxisPermutation[] => factorizations(n).flatMap((shape) => permutations(shape.length).map((perm) => ({ shape, perm })));

const table = (size: number, steps: AxisPermutation[]) => indexMapTable({ size, steps }).join(',');
const formOf = (step: AxisPermutation) => JSON.stringify(normalizeStep(step));

describe("one step's canonical form", () => {
  it('tells its permutation apart from every other: equal forms, equal tables, and the other way round (every step up to 64)', () => {
    let steps = 0;
    for (let n = 2; n <= 64; n++) {
      const formsByTable = new Map<string, Set<string>>();
      const tablesByForm = new Map<string, Set<string>>();
      for (const step of stepsOf(n)) {
        steps++;
        const [t, form] = [table(n, [step]), formOf(step)];
        formsByTable.set(t, (formsByTable.get(t) ?? new Set()).add(form));
        tablesByForm.set(form, (tablesByForm.get(form) ?? new Set()).add(t));
        // The identity, and only it, has no form.
        expect(form === 'null', `${n}: ${JSON.stringify(step)}`).toBe(t === table(n, []));
      }
      for (const [t, forms] of formsByTable) expect([...forms], `${n}: ${t}`).toHaveLength(1);
      for (const [form, tables] of tablesByForm) expect([...tables], `${n}: ${form}`).toHaveLength(1);
    }
    expect(steps).toBe(4851);
  });

  it.each([12, 16, 18, 24])('mergeSteps of two steps of %i is their composition wherever it merges them', (n) => {
    const steps = stepsOf(n);
    let merged = 0;
    for (const first of steps)
      for (const second of steps) {
        const step = mergeSteps(first, second);
        if (step === undefined) continue;
        merged++;
        expect(table(n, step === null ? [] : [step]), `${JSON.stringify(first)} then ${JSON.stringify(second)}`).toBe(table(n, [first, second]));
      }
    expect(merged).toBeGreaterThan(steps.length);
  });
});
