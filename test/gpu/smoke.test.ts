import { describe, expect, it } from 'vitest';
import { executeProgram } from '../../src/runtime/cpu-executor.js';
import { runProgramOnGpu } from '../support/gpu.js';
import { ProgramBuilder, randomArray, relativeError, rng } from '../support/programs.js';

describe('smoke', () => {
  it('ks', async () => {
    const r = rng(1);
    const { program, packed } = new ProgramBuilder('m', 12, 15, r).ks({ a: 1, b: 5, c: 4, d: 3 }, 'x', 'y').build();
    const x = randomArray(12 * 3, r);
    const y = await runProgramOnGpu(program, packed, x, 3);
    const ref = executeProgram(program, packed, x, 3);
    expect(relativeError(y, ref)).toBeLessThan(1e-5);
  });
});
