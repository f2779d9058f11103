/**
 * Every tensor-core entry of the session-10 plans (bench/plan-s10a.json and plan-s10a2.json:
 * ks-sgmat; bench/plan-s10b.json: ks-sgmat-strided), session 11's (plan-s11a.json, plan-s11a2.json: ks-sgmat),
 * session 13's (plan-s13b*.json: ks-sgmat), session 15's (plan-s15b.json: ks-sgmat-strided and ks-sgmat) and
 * session 27's (plan-s27a.json to plan-s27d.json: ks-sgmat-strided and ks-sgmat), session 28's (plan-s28r.json,
 * plan-s28c.json: ks-sgmat and ks-sgmat-strided; plan-s28a and plan-s28b were timed in call 2 and moved to
 * bench/results/s28/call-2/perf/, their losing square forms no longer candidates) and session 29's (plan-s29a.json:
 * ks-sgmat, with bench-only probes, and ks-sgmat-strided) and session 30's (plan-s30a.json: references, ks-sgmat and
 * ks-sgmat-strided) and session 31's (plan-s31a.json, plan-s31b.json: ks-sgmat with bench-only 16-subgroup trials,
 * bench/sgmat-trials.ts, and ks-sgmat-strided)
 * as the GPU would get it, checked here before a
 * device call: a candidate of this build on the H200's limits that emits (bench/goal-families.ts
 * planProblems), of the plan's family, and whose WGSL, through the subgroup-matrix emulation
 * (which keeps every declaration), passes Tint's validation on SwiftShader (createShaderModule:
 * parsing, scoping, types; no pipeline is built, so it takes milliseconds). Session 10's call 1
 * lost 7 planned schedules to a redeclared name that the emulated runs, which then dropped
 * declarations, did not see.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeGpu } from '../../bench/node-gpu.js';
import { planProblems, planTarget } from '../../bench/goal-families.js';
import type { Schedule } from '../../src/codegen/wgsl/kernel.js';
import { emulateSubgroupMatrixKernel } from '../support/sgmat-emulation.js';

const PLANS: readonly [string, string][] = [
  ['bench/plan-s10a.json', 'ks-sgmat'],
  ['bench/plan-s10a2.json', 'ks-sgmat'],
  ['bench/plan-s10b.json', 'ks-sgmat-strided'],
  ['bench/plan-s11a.json', 'ks-sgmat'],
  ['bench/plan-s11a2.json', 'ks-sgmat'],
  ['bench/plan-s13b.json', 'ks-sgmat'],
  ['bench/plan-s13b2.json', 'ks-sgmat'],
  ['bench/plan-s15b.json', 'ks-sgmat-strided, ks-sgmat'],
  ['bench/plan-s27a.json', 'ks-sgmat-strided, ks-sgmat'],
  ['bench/plan-s27b.json', 'ks-sgmat-strided'],
  ['bench/plan-s27c.json', 'ks-sgmat-strided'],
  ['bench/plan-s27d.json', 'ks-sgmat-strided'],
  ['bench/plan-s28r.json', 'ks-sgmat, ks-sgmat-strided'],
  ['bench/plan-s28c.json', 'ks-sgmat, ks-sgmat-strided'],
  ['bench/plan-s29a.json', 'ks-sgmat, ks-sgmat-strided'],
  ['bench/plan-s30a.json', 'ks-sgmat, ks-sgmat-strided'],
  ['bench/plan-s31a.json', 'ks-sgmat, ks-sgmat-strided'],
  ['bench/plan-s31b.json', 'ks-sgmat, ks-sgmat-strided'],
];

describe.each(PLANS)('%s', (file, family) => {
  const plan = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Schedule[]>;

  it(`names only ${family} candidates of this build that emit`, () => {
    expect(Object.values(plan).flat().every((s) => family.split(', ').includes(s.family))).toBe(true);
    expect(planProblems(plan)).toEqual([]);
  });

  it("every entry's kernel, emulated, passes WGSL validation", async () => {
    const { device } = await nodeGpu();
    for (const [key, list] of Object.entries(plan)) {
      const target = planTarget(key);
      if (typeof target === 'string') throw new Error(target);
      for (const s of list) {
        const k = emulateSubgroupMatrixKernel(target.emit(s));
        const code = [...new Set(k.enables)].map((e) => `enable ${e};`).join('\n') + '\n' + k.wgsl;
        const info = await device.createShaderModule({ code }).getCompilationInfo();
        const errors = info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
        expect(errors, `${key} ${JSON.stringify(s)}`).toEqual([]);
      }
    }
  });
});
