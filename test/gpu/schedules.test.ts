/**
 * Every schedule the kernel families offer computes the same thing: each candidate of a few ops
 * (with permuted index maps, bias epilogues and accumulation) against the float64 executor.
 */
import { describe, expect, it } from 'vitest';
import { candidates, defaultSchedule } from '../../src/codegen/wgsl/families.js';
import { DEFAULT_LIMITS } from '../../src/codegen/wgsl/kernel.js';
import { executeProgram } from '../../src/runtime/cpu-executor.js';
import { runProgramOnGpu } from '../support/gpu.js';
import { ProgramBuilder, randomArray, randomIndexMap, relativeError, rng, type BuiltProgram } from '../support/programs.js';

const CASES: [string, BuiltProgram][] = [
  [
    'ks K(2,4,6,3), permuted maps, bias, accumulating',
    (() => {
      const r = rng(21);
      return new ProgramBuilder('m', 36, 24, r)
        .ks({ a: 2, b: 4, c: 6, d: 3 }, 'x', 'y')
        .ks({ a: 2, b: 4, c: 6, d: 3 }, 'x', 'y', { accumulate: true, bias: true, input: randomIndexMap(36, 2, r), output: randomIndexMap(24, 1, r) })
        .build();
    })(),
  ],
  [
    'bsr 4x6 blocks, permuted input',
    (() => {
      const r = rng(22);
      return new ProgramBuilder('m', 24, 16, r)
        .bsr({ rows: 16, cols: 24, bh: 4, bw: 6, blocks: [[0, 0], [0, 3], [1, 1], [3, 0], [3, 2]] }, 'x', 'y', { input: randomIndexMap(24, 1, r), bias: true })
        .build();
    })(),
  ],
  ['bias op', new ProgramBuilder('m', 20, 20, rng(23)).bias(20, 'y', { output: randomIndexMap(20, 1, rng(24)) }).build()],
];

describe.each(CASES)('every candidate schedule: %s', (_name, { program, packed }) => {
  const op = program.ops[program.ops.length - 1];
  const schedules = candidates(op, DEFAULT_LIMITS);

  it('includes the default schedule and varies every knob', () => {
    expect(schedules).toContainEqual(defaultSchedule(op, DEFAULT_LIMITS));
    for (const knob of Object.keys(schedules[0])) {
      if (knob !== 'family') expect(new Set(schedules.map((s) => s[knob])).size, knob).toBeGreaterThan(1);
    }
  });

  it('gives the reference result with each of them', async () => {
    const batch = 3;
    const x = randomArray(batch * program.in, rng(5));
    const ref = executeProgram(program, packed, x, batch);
    const last = program.ops.length - 1;
    for (const schedule of schedules) {
      const y = await runProgramOnGpu(program, packed, x, batch, { schedules: (ops) => (ops.join() === String(last) ? { schedule } : undefined) });
      expect(relativeError(y, ref), JSON.stringify(schedule)).toBeLessThan(1e-5);
    }
  });
});
