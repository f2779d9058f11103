import { describe, expect, it } from 'vitest';
import { closest } from '../../src/dsl/suggest.js';

describe('closest', () => {
  const constructors = ['dense', 'ks', 'blockdiag', 'transpose', 'monarch', 'butterfly', 'lowrank', 'sparse', 'bias'];

  it('suggests a near miss', () => {
    expect(closest('monarh', constructors)).toBe('monarch');
    expect(closest('butterfy', constructors)).toBe('butterfly');
  });

  it('suggests nothing for a name that is far from every candidate, whatever the lengths', () => {
    expect(closest('unknown_thing', constructors)).toBeUndefined();
    expect(closest('x', constructors)).toBeUndefined();
  });
});
