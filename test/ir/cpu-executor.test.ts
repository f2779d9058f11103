/** The CPU executor's op semantics on hand-written programs (ir.ts, OpBase). */
import { describe, expect, it } from 'vitest';
import { syntheticSpan } from '../../src/dsl/span.js';
import { identityMap, transposeMap } from '../../src/ir/index-map.js';
import type { Op, Program } from '../../src/ir/ir.js';
import { programProblems } from '../../src/ir/passes/verify-program.js';
import { executeProgram } from '../../src/runtime/cpu-executor.js';

const span = syntheticSpan();

function program(ops: Op[], params: Program['params'], paramSize: number, n = 4, m = 4, temps: Program['buffers'] = []): Program {
  return { name: 'p', in: n, out: m, dtype: 'f32', params, paramSize, buffers: [{ name: 'x', size: n }, { name: 'y', size: m }, ...temps], ops, span };
}

describe('executeProgram', () => {
  it('ks reads through the input map, writes through the output map, adds the bias by logical index', () => {
    // K(1,2,2,2) = y[β·2 + δ] = Σ_γ W[δ,β,γ] x[γ·2 + δ]; W = identity per δ: y = x logically.
    const w = [1, 0, 0, 1, 1, 0, 0, 1];
    const ks: Op = {
      kind: 'ks',
      a: 1,
      b: 2,
      c: 2,
      d: 2,
      weight: { tensor: 'w', offset: 0, length: 8 },
      input: transposeMap(2, 2),
      output: { size: 4, steps: [{ shape: [4], perm: [0] }, { shape: [2, 2], perm: [0, 1] }] },
      src: 'x',
      dst: 'y',
      accumulate: false,
      bias: { tensor: 'b', offset: 0, length: 4 },
      span,
    };
    const p = program([ks], [{ name: 'w', shape: [2, 2, 2], offset: 0 }, { name: 'b', shape: [4], offset: 8 }], 12);
    expect(programProblems(p)).toEqual([]);
    const params = [...w, 10, 20, 30, 40];
    // Logical input j reads x[T(j)], T(1) = 2: x = (1,2,3,4) is read as (1,3,2,4).
    expect([...executeProgram(p, params, [1, 2, 3, 4, 5, 6, 7, 8], 2)]).toEqual([11, 23, 32, 44, 15, 27, 36, 48]);
  });

  it('a non-accumulating bsr overwrites block rows that have no blocks with 0; accumulate adds', () => {
    const fill: Op = { kind: 'bias', dst: 'y', size: 4, param: { tensor: 'b', offset: 0, length: 4 }, output: identityMap(4), accumulate: false, span };
    const bsr: Op = {
      kind: 'bsr',
      rows: 4,
      cols: 4,
      bh: 2,
      bw: 2,
      blocks: [[1, 0]],
      weight: { tensor: 'v', offset: 0, length: 4 },
      input: identityMap(4),
      output: transposeMap(2, 2),
      src: 'x',
      dst: 'y',
      accumulate: false,
      span,
    };
    const params = [1, 2, 3, 4, 100, 200, 300, 400];
    const layout = [{ name: 'v', shape: [1, 2, 2], offset: 0 }, { name: 'b', shape: [4], offset: 4 }];
    const x = [1, 1, 5, 5];
    // Block (1,0) gives logical rows 2,3 = (1+2, 3+4) = (3, 7); rows 0,1 are 0; output map T(2,2) puts logical 2 at 1 and 3 at 3.
    expect([...executeProgram(program([fill, bsr], layout, 8), params, x, 1)]).toEqual([0, 3, 0, 7]);
    expect([...executeProgram(program([fill, { ...bsr, accumulate: true }], layout, 8), params, x, 1)]).toEqual([100, 203, 300, 407]);
  });

  it('checks its inputs', () => {
    const p = program([], [], 4);
    expect(() => executeProgram(p, [0, 0, 0, 0], [1, 2, 3], 1)).toThrow(/input has 3 values; expected batch 1 x 4/);
    expect(() => executeProgram(p, [0], [1, 2, 3, 4], 1)).toThrow(/packed parameters have 1 elements/);
  });
});

describe('programProblems', () => {
  it('reports reads before writes, accumulation into nothing and size mismatches', () => {
    const ks = (src: string, dst: string, accumulate: boolean): Op => ({
      kind: 'ks', a: 1, b: 4, c: 4, d: 1, weight: { tensor: 'w', offset: 0, length: 16 }, input: identityMap(4), output: identityMap(4), src, dst, accumulate, span,
    });
    const p = program([ks('t0', 'y', false), ks('x', 't1', true), ks('x', 't2', false)], [{ name: 'w', shape: [4, 4], offset: 0 }], 16, 4, 4, [
      { name: 't0', size: 4 },
      { name: 't1', size: 4 },
      { name: 't2', size: 8 },
    ]);
    const problems = programProblems(p).join('\n');
    expect(problems).toMatch(/op 0 \(ks\): reads 't0' before it is written/);
    expect(problems).toMatch(/op 1 \(ks\): accumulates into 't1' before it is written/);
    expect(problems).toMatch(/op 2 \(ks\): writes 4 values to 't2' of size 8/);
  });
});
