/** The kernel emitters' text against the kernel.ts contract (no GPU needed; GPU results are in test/gpu). */
import { describe, expect, it } from 'vitest';
import { candidates, defaultSchedule, familiesFor } from '../../src/codegen/wgsl/families.js';
import { DEFAULT_LIMITS, workgroupCount } from '../../src/codegen/wgsl/kernel.js';
import { assembleModule } from '../../src/codegen/wgsl/module.js';
import { emitProgramKernels, type EmitProgramOptions } from '../../src/codegen/wgsl/program.js';
import type { IndexMap, Program } from '../../src/ir/ir.js';
import { ProgramBuilder, randomIndexMap, rng } from '../support/programs.js';

const transposed = (r: number, c: number): IndexMap => ({ size: r * c, steps: [{ shape: [r, c], perm: [1, 0] }] });

function sampleProgram(dtype: 'f32' | 'f16' = 'f32') {
  const r = rng(3);
  const b = new ProgramBuilder('mix', 16, 12, r, dtype);
  const t0 = b.temp(16);
  return b
    .ks({ a: 1, b: 4, c: 4, d: 4 }, 'x', t0, { input: transposed(4, 4) })
    .bsr({ rows: 12, cols: 16, bh: 3, bw: 4, blocks: [[0, 0], [1, 2], [3, 3]] }, t0, 'y', { output: randomIndexMap(12, 1, r), bias: true })
    .bias(12, 'y', { accumulate: true, output: transposed(3, 4) })
    .build().program;
}

/**
 * The program's kernels on the direct families (each op kind's portable fallback), whose text
 * these tests pin down; the tiled families' kernels are checked in test/perf-kernels.
 */
function directKernels(program: Program, options: EmitProgramOptions = {}) {
  return emitProgramKernels(program, { ...options, schedules: (ops) => (ops.length === 1 ? { schedule: familiesFor(program.ops[ops[0]])[0].defaultSchedule(DEFAULT_LIMITS) } : undefined) });
}

describe('emitted kernels', () => {
  const program = sampleProgram();
  const kernels = directKernels(program);

  it('declare the four contract bindings and only entry-point-prefixed module-scope names', () => {
    kernels.forEach((k, i) => {
      expect(k.entryPoint).toBe(`mix_op${i}`);
      expect(k.ops).toEqual([i]);
      const topLevel = k.wgsl.split('\n').filter((l) => /^\S/.test(l) && !l.startsWith('}') && !l.startsWith('@compute'));
      for (const line of topLevel) {
        const name = /^(?:struct|const|fn)\s+(\w+)|var<[^>]+>\s+(\w+)/.exec(line);
        expect(name, line).not.toBeNull();
        expect(name![1] ?? name![2], line).toMatch(new RegExp(`^${k.entryPoint}(_|$)`));
      }
      expect(k.wgsl).toContain(`@group(0) @binding(0) var<storage, read> ${k.entryPoint}_params: array<f32>;`);
      expect(k.wgsl).toContain(`@group(0) @binding(1) var<storage, read> ${k.entryPoint}_src: array<f32>;`);
      expect(k.wgsl).toContain(`@group(0) @binding(2) var<storage, read_write> ${k.entryPoint}_dst: array<f32>;`);
      expect(k.wgsl).toContain(`@group(0) @binding(3) var<uniform> ${k.entryPoint}_dims: ${k.entryPoint}_Dims;`);
      expect(k.wgsl).toContain('let group = wg.x + wg.y * nwg.x;');
      expect(k.dispatch.kind).toBe('flat');
      if (k.dispatch.kind === 'flat') expect(k.dispatch.itemsPerWorkgroup).toBe(k.workgroupSize[0]);
    });
  });

  it('turn a transposed read into constant offsets when the reduction is fully unrolled', () => {
    const ks = kernels[0];
    expect(ks.schedule.unroll).toBe(4);
    const reads = ks.wgsl.split('\n').filter((l) => l.includes('let xv = '));
    expect(reads).toEqual(['    let xv = mix_op0_src[x_base];', '    let xv = mix_op0_src[x_base + 1u];', '    let xv = mix_op0_src[x_base + 2u];', '    let xv = mix_op0_src[x_base + 3u];']);
  });

  it('assemble into one deterministic module', () => {
    const again = assembleModule(new Map([['mix', directKernels(sampleProgram())]]));
    const once = assembleModule(new Map([['mix', kernels]]));
    expect(again).toEqual(once);
    expect(once.enables).toEqual([]);
    expect(once.wgsl).toContain('// map mix');
    expect(assembleModule(kernels).wgsl).not.toContain('// map');
  });

  it('f16 storage enables f16 and converts at loads and stores', () => {
    const half = directKernels(sampleProgram('f16'));
    const { wgsl, enables } = assembleModule(half);
    expect(enables).toEqual(['f16']);
    expect(wgsl.split('\n').filter((l) => l.startsWith('enable'))).toEqual(['enable f16;']);
    expect(wgsl).toContain('array<f16>');
    expect(wgsl).toMatch(/= f16\(/);
    expect(wgsl).not.toContain('array<f32>');
    expect(directKernels(sampleProgram('f16'), { storage: 'f32' }).every((k) => k.enables.length === 0)).toBe(true);
  });

  it('f16 kernels convert every storage access (no adapter here compiles f16, so the text is checked)', () => {
    for (const k of directKernels(sampleProgram('f16'))) {
      const access = new RegExp(`${k.entryPoint}_(?:params|src|dst)\\[`);
      for (const line of k.wgsl.split('\n').filter((l) => access.test(l) && !l.includes('var<'))) {
        // Each line is either `dst[i] = f16(<f32 expression>);` or reads inside `f32(...)`.
        const reads = line.replace(/^\s*\w+\[[^=]*\]\s*=\s*f16\(/, '');
        const bare = reads.replace(/f32\(\w+\[[^\]]*\]\)/g, '');
        expect(bare, line).not.toMatch(access);
        if (/^\s*\w+_dst\[/.test(line)) expect(line, line).toMatch(/\] = f16\(.*\);$/);
      }
    }
  });

  it('use a valid tuned schedule and ignore a stale one', () => {
    const op = program.ops[0];
    const tuned = candidates(op, DEFAULT_LIMITS).find((s) => s.workgroupSize === 128 && s.outputsPerThread === 1 && s.unroll === 2)!;
    expect(emitProgramKernels(program, { schedules: (ops) => (ops.join() === '0' ? { schedule: tuned } : undefined) })[0].schedule).toEqual(tuned);
    const stale = { ...tuned, outputsPerThread: 3 };
    expect(emitProgramKernels(program, { schedules: () => ({ schedule: stale }) })[0].schedule).toEqual(defaultSchedule(op, DEFAULT_LIMITS));
  });

  it('respect the target workgroup limit', () => {
    const limits = { ...DEFAULT_LIMITS, maxWorkgroupSize: 128 };
    program.ops.forEach((op, i) => {
      for (const s of candidates(op, limits)) {
        const [kernel] = emitProgramKernels(program, { limits, schedules: (ops) => (ops.join() === String(i) ? { schedule: s } : undefined) }).slice(i);
        expect(kernel.schedule).toEqual(s);
        expect(kernel.workgroupSize.reduce((p, v) => p * v, 1)).toBeLessThanOrEqual(128);
      }
    });
  });

  it('dispatch enough workgroups for every item', () => {
    kernels.forEach((k) => {
      if (k.dispatch.kind !== 'flat') throw new Error('expected flat dispatch');
      for (const batch of [1, 3, 1000]) expect(workgroupCount(k.dispatch, batch) * k.workgroupSize[0]).toBeGreaterThanOrEqual(batch * k.dispatch.itemsPerRow);
    });
  });
});
