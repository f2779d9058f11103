/**
 * Every ks-sgmat-strided entry of bench/plan-s10b.json as the GPU would get it, checked before a
 * device call (as ks-sgmat-plan.test.ts does for ks-sgmat's plans): a candidate of this build on
 * the H200's limits that emits (bench/goal-families.ts planProblems), and whose WGSL, through the
 * subgroup-matrix emulation (which keeps every declaration), passes Tint's validation on
 * SwiftShader (createShaderModule: parsing, scoping, types; no pipeline, so milliseconds).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeGpu } from '../../bench/node-gpu.js';
import { planProblems, planTarget } from '../../bench/goal-families.js';
import type { Schedule } from '../../src/codegen/wgsl/kernel.js';
import { emulateSubgroupMatrixKernel } from '../support/sgmat-emulation.js';

describe('bench/plan-s10b.json', () => {
  const plan = JSON.parse(readFileSync('bench/plan-s10b.json', 'utf8')) as Record<string, Schedule[]>;

  it('names only ks-sgmat-strided candidates of this build that emit', () => {
    expect(Object.values(plan).flat().every((s) => s.family === 'ks-sgmat-strided')).toBe(true);
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
