/**
 * The device plans for the tensor-core Monarch factors (bench/plan-s7.json, and plan-s7b.json:
 * its schedules with row groups or staged W, which call 3 ran without because its build predated
 * them), read by bench/monarch-goal.ts --plan: monarch-goal times only the planned schedules that
 * are candidates of their family for the op on the adapter and drops the others silently, so
 * every entry is checked here against the candidates on the H200's limits (1024 invocations,
 * 48 KiB) of this build (bench/goal-families.ts planProblems, as bench/plan-check.js does before a call).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isRemovedInPlaceW, planProblems } from '../../bench/goal-families.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import type { Schedule } from '../../src/codegen/wgsl/kernel.js';

const read = (name: string): Record<string, Schedule[]> => JSON.parse(readFileSync(new URL(`../../bench/${name}`, import.meta.url), 'utf8'));
const plan = read('plan-s7.json');
const plans: [string, Record<string, Schedule[]>][] = [['plan-s7.json', plan], ['plan-s7b.json', read('plan-s7b.json')]];

describe('bench/plan-s7.json', () => {
  it('plans both factors of the three f16 Monarch cases, 20-30 schedules each, none twice', () => {
    expect(Object.keys(plan).sort()).toEqual(['1024x4096x4', '4096', '4096x1024x4'].flatMap((s) => [`${s}/f16/op0`, `${s}/f16/op1`]).sort());
    for (const [key, list] of Object.entries(plan)) {
      expect(list.length, key).toBeGreaterThanOrEqual(20);
      expect(list.length, key).toBeLessThanOrEqual(30);
      expect(new Set(list.map(scheduleKey)).size, key).toBe(list.length);
    }
  });

  it('holds only schedules valid for their op on the H200 (monarch-goal would skip the others silently), in both plans, but the 18 in-place W forms removed since', () => {
    const problems = planProblems(plan);
    expect(problems.filter((m) => !isRemovedInPlaceW(m))).toEqual([]);
    expect(problems.filter(isRemovedInPlaceW)).toHaveLength(18);
    expect(planProblems(read('plan-s7b.json'))).toEqual([]);
  });

  it('plan-s7b.json is plan-s7.json less the schedules without row groups (call 3 timed those)', () => {
    const b = read('plan-s7b.json');
    for (const [key, list] of Object.entries(plan)) expect(b[key], key).toEqual(list.filter((s) => 'rg' in s));
  });

  it('gives the contiguous factors (op0) the streamed kernel with row groups', () => {
    for (const [key, list] of Object.entries(plan))
      if (key.endsWith('op0')) expect(list.filter((s) => s.family === 'ks-sgmat-strided' && typeof s.rg === 'number').length, key).toBeGreaterThanOrEqual(20);
  });
});
