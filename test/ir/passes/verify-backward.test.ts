/** verify-backward: the invariants a backward program promises (gradient slices written exactly once, as ranges). */
import { describe, expect, it } from 'vitest';
import type { BackwardOp, BackwardProgram } from '../../../src/ir/ir.js';
import { parseIrMap } from '../../../src/ir/parse.js';
import { backward } from '../../../src/ir/passes/backward.js';
import { schedule } from '../../../src/ir/passes/schedule.js';
import { backwardProblems } from '../../../src/ir/passes/verify-backward.js';
import { dedent } from '../text.js';

describe('verify-backward tracks gradient writes as ranges', () => {
  const bf = () =>
    backward(
      schedule(
        parseIrMap(
          dedent(`
            map bf : 4 -> 4 f32
            param bf.twiddle (2,2,2,2)
            chain
              ks(a=2 b=2 c=2 d=1) w=bf.twiddle[0:8] in=[] out=[]
              ks(a=1 b=2 c=2 d=2) w=bf.twiddle[8:16] in=[] out=[]
          `),
        ),
      ),
    );
  const reduces = (p: BackwardProgram) => p.ops.flatMap((op, i) => (op.kind === 'reduce' ? [i] : []));

  it('a missing slice, a wrong accumulate flag and an overwrite of a written slice are each reported', () => {
    const p = bf();
    const [first, second] = reduces(p);
    const without = { ...p, ops: p.ops.filter((_, i) => i !== second) };
    expect(backwardProblems(without)).toEqual([`the gradient of 'bf.twiddle' is not fully written`]);
    const flip = (i: number) => ({ ...p, ops: p.ops.map((op, j) => (j === i && op.kind === 'reduce' ? { ...op, accumulate: !op.accumulate } : op)) });
    expect(backwardProblems(flip(first))).toEqual([`op ${first} (reduce): accumulates into a gradient slice not yet written`]);
    // The second reduce writing the first's slice again: an overwrite, and [0:8] or [8:16] left unwritten.
    const firstOp = p.ops[first] as Extract<BackwardOp, { kind: 'reduce' }>;
    const again = { ...p, ops: p.ops.map((op, j) => (j === second && op.kind === 'reduce' ? { ...op, grad: firstOp.grad } : op)) };
    expect(backwardProblems(again)).toEqual([`op ${second} (reduce): overwrites a gradient slice already written`, `the gradient of 'bf.twiddle' is not fully written`]);
  });

  it('a tensor of 2^31 - 5 elements is verified in time independent of its size', () => {
    const n = 2147483643;
    const started = performance.now();
    const p = backward(schedule(parseIrMap(`map f : ${n} -> 1 f32\nparam f.weight (1,${n})\nks(a=1 b=1 c=${n} d=1) w=f.weight[0:${n}] in=[] out=[]\n`)));
    expect(backwardProblems(p)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
