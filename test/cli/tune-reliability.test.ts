import { describe, expect, it } from 'vitest';
import { unreliableTiming, UNRELIABLE_SPREAD } from '../../src/cli/commands/tune.js';
import type { TuningEntry } from '../../src/tuner/db.js';

const entry = (spread: number) => ({ spread }) as TuningEntry;

describe('monc tune says when its winners are unreliable', () => {
  it('on a CPU rasterizer, whatever the spread', () => {
    expect(unreliableTiming('Google: SwiftShader Device (Subzero)', [entry(0.01)])).toMatch(/unreliable: .*SwiftShader.* is a CPU rasterizer/);
  });
  it('when the timing spread is huge (SwiftShader measured ±1800%)', () => {
    expect(unreliableTiming('NVIDIA H100', [entry(0.02), entry(18)])).toMatch(/varied by up to 1800% of the median/);
  });
  it('not for a GPU with tight timings', () => {
    expect(unreliableTiming('NVIDIA H100', [entry(0.02), entry(UNRELIABLE_SPREAD)])).toBeUndefined();
  });
});
