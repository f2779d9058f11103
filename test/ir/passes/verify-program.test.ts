/**
 * verify-program: the invariants a scheduled Program promises to codegen and the runtime, on a
 * program scheduled from IR text and on copies of it broken one way at a time.
 */
import { describe, expect, it } from 'vitest';
import type { Op, Program } from '../../../src/ir/ir.js';
import { parseIrMap } from '../../../src/ir/parse.js';
import { schedule } from '../../../src/ir/passes/schedule.js';
import { programProblems } from '../../../src/ir/passes/verify-program.js';
import { dedent } from '../text.js';

/** A sum of a chain (through a temporary) and a bias: ops ks x -> t0, ks t0 -> y, bias += y. */
const program = (): Program =>
  schedule(
    parseIrMap(
      dedent(`
        map v : 8 -> 8 f32
        param v.w (2,4,4)
        param v.b (8)
        sum
          chain
            ks(a=2 b=4 c=4 d=1) w=v.w[0:32] in=[] out=[]
            ks(a=2 b=4 c=4 d=1) w=v.w[0:32] in=[] out=[(2,4):(1,0)]
          bias(size=8) b=v.b[0:8] out=[(4,2):(1,0)]
      `),
    ),
  );

/** The program with op `i` changed by `f`. */
function withOp(p: Program, i: number, f: (op: Op) => Op): Program {
  return { ...p, ops: p.ops.map((op, j) => (j === i ? f(op) : op)) };
}

describe('verify-program', () => {
  it('accepts what schedule builds', () => {
    const p = program();
    expect(p.ops.map((op) => `${op.kind} ${op.kind === 'bias' ? '' : op.src}->${op.dst}${op.accumulate ? ' +=' : ''}`)).toEqual(['ks x->t0', 'ks t0->y', 'bias ->y +=']);
    expect(programProblems(p)).toEqual([]);
  });

  it('reports data flow: a read before the write, a buffer read and written, accumulation into nothing, the input written, y never written', () => {
    const p = program();
    const swapped = { ...p, ops: [p.ops[1], p.ops[0], p.ops[2]] };
    expect(programProblems(swapped)).toContain(`op 0 (ks): reads 't0' before it is written`);
    expect(programProblems(withOp(p, 1, (op) => ({ ...op, dst: 't0' })))).toEqual([`op 1 (ks): reads and writes 't0'`, `op 2 (bias): accumulates into 'y' before it is written`]);
    expect(programProblems({ ...p, ops: [p.ops[0]] })).toEqual(['y is never written']);
    expect(programProblems(withOp(p, 1, (op) => ({ ...op, accumulate: true })))).toEqual([`op 1 (ks): accumulates into 'y' before it is written`]);
    expect(programProblems(withOp(p, 0, (op) => ({ ...op, dst: 'x' })))).toContain(`op 0 (ks): writes the input`);
  });

  it('reports sizes, slices, maps and the layout', () => {
    const p = program();
    expect(programProblems({ ...p, buffers: [...p.buffers, p.buffers[0]] })).toContain(`buffer 'x' declared twice`);
    expect(programProblems(withOp(p, 0, (op) => (op.kind === 'ks' ? { ...op, weight: { ...op.weight, offset: 8 } } : op)))).toEqual([`op 0 (ks): slice [8:40] outside 'v.w'`]);
    expect(programProblems(withOp(p, 2, (op) => (op.kind === 'bias' ? { ...op, param: { tensor: 'v.nope', offset: 0, length: 8 } } : op)))).toEqual([`op 2 (bias): unknown parameter tensor 'v.nope'`]);
    expect(programProblems(withOp(p, 2, (op) => ({ ...op, output: { size: 4, steps: [] } })))).toEqual([`op 2 (bias): output map has size 4, expected 8`]);
    expect(programProblems({ ...p, paramSize: 16 })).toEqual([`paramSize 16 is smaller than the layout (${p.paramSize})`]);
  });

  it('reports what a damaged manifest could hold (decodeManifest runs the same checks): a buffer no op uses, a tensor declared twice, a block outside its matrix', () => {
    const p = program();
    expect(programProblems({ ...p, buffers: [...p.buffers, { name: 't9', size: 2 ** 30 }] })).toEqual([`buffer 't9' is never used`]);
    expect(programProblems({ ...p, params: [...p.params, { ...p.params[1], offset: p.paramSize }], paramSize: p.paramSize + 8 })).toEqual([`parameter 'v.b' is declared twice`]);
    const sparse = schedule(parseIrMap('map s : 4 -> 4 f32\nparam s.w (2,2,2)\nbsr(rows=4 cols=4 bh=2 bw=2) blocks=[(0,0) (1,1)] w=s.w[0:8] in=[] out=[]\n'));
    expect(programProblems(sparse)).toEqual([]);
    expect(programProblems(withOp(sparse, 0, (op) => (op.kind === 'bsr' ? { ...op, blocks: [[0, 0], [2, 1]] } : op)))).toEqual(['op 0 (bsr): block 1 (2, 1) lies outside the 4×4 matrix of 2×2 blocks']);
  });
});
