import { describe, expect, it } from 'vitest';
import { ProjectionError } from '../../src/project/index.js';
import { checkDenseShape, dense, denseShape, lowrank, monarch, project } from './structures.js';

function projectionError(f: () => unknown): ProjectionError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProjectionError);
    expect((e as Error).message).not.toContain('\n');
    return e as ProjectionError;
  }
  throw new Error('expected a ProjectionError');
}

describe('bad inputs give a one-line ProjectionError', () => {
  it('a matrix of the wrong size names the expected shape', () => {
    const e = projectionError(() => project(monarch(12, 8, 4), new Float64Array(95)));
    expect(e.message).toContain('(12, 8)');
    expect(e.message).toContain('95');
  });

  it('checkDenseShape and denseShape speak (out, in)', () => {
    expect(denseShape(monarch(12, 8, 4))).toEqual([12, 8]);
    expect(() => checkDenseShape(monarch(12, 8, 4), [12, 8])).not.toThrow();
    expect(projectionError(() => checkDenseShape(monarch(12, 8, 4), [8, 12])).message).toContain('(8, 12)');
    // One axis as every other shape message writes it (QA1 s27 Q602: '(9)').
    expect(projectionError(() => checkDenseShape(dense(3, 3), [9])).message).toBe("dense matrix has shape (9,) but 'm' expects (3, 3) = (out, in)");
  });

  // QA2 s26 Q553: from plain JavaScript a shape that is not an array threw a raw TypeError (no kind) at its .length.
  for (const [bad, shown] of [[undefined, 'undefined'], [null, 'null'], [{}, '{}'], ['4x4', '"4x4"']] as const)
    it(`checkDenseShape of ${shown} is a ProjectionError naming it`, () => {
      expect(projectionError(() => checkDenseShape(dense(4, 4), bad as never)).message).toBe(`dense matrix shape must be an array (out, in), got ${shown}`);
    });

  for (const bad of [NaN, Infinity, -Infinity])
    it(`${bad} in the matrix is located`, () => {
      const w = new Float64Array(12).fill(1);
      w[7] = bad;
      expect(projectionError(() => project(dense(3, 4), w)).message).toContain('(1, 3)');
    });

  it('options must be non-negative integers', () => {
    projectionError(() => project(lowrank(4, 4, 1), new Float64Array(16), { maxRounds: -1 }));
    projectionError(() => project(lowrank(4, 4, 1), new Float64Array(16), { seed: 0.5 }));
    // QA1 s26 Q502: a BigInt read as the valid number it looks like ('got 3').
    expect(projectionError(() => project(lowrank(4, 4, 1), new Float64Array(16), { seed: 3n as never })).message).toBe('option seed must be a non-negative integer, got 3n');
    expect(projectionError(() => project(lowrank(4, 4, 1), new Float64Array(16), { maxRounds: NaN })).message).toBe('option maxRounds must be a non-negative integer, got NaN');
    // QA1 s21 Q06: the generator takes 32 bits, so 2^32 ran as seed 0.
    expect(projectionError(() => project(lowrank(4, 4, 1), new Float64Array(16), { seed: 2 ** 32 })).message).toBe('option seed must be at most 2^32 - 1 (4294967295), the generator\'s 32 bits, got 4294967296');
    project(lowrank(4, 4, 1), new Float64Array(16), { seed: 2 ** 32 - 1 });
  });

  it('W = 0 projects to zero parameters with error 0', () => {
    const result = project(monarch(8, 8, 2), new Float64Array(64));
    expect(result.relativeError).toBe(0);
    for (const v of result.params.values()) expect(v.every((x) => x === 0)).toBe(true);
  });

  it('the report counts parameters', () => {
    const result = project(monarch(16, 16, 4), new Float64Array(256).fill(1));
    expect(result.paramCount).toBe(2 * 4 * 4 * 4);
    expect(result.denseParamCount).toBe(256);
  });
});
