/** schedule: IR text in, program text out. */
import { describe, expect, it } from 'vitest';
import { parseIrMap } from '../../../src/ir/parse.js';
import { layoutParams, schedule } from '../../../src/ir/passes/schedule.js';
import { programProblems } from '../../../src/ir/passes/verify-program.js';
import { printProgram } from '../../../src/ir/printer.js';
import { dedent } from '../text.js';

const scheduled = (text: string) => {
  const program = schedule(parseIrMap(dedent(text)));
  expect(programProblems(program)).toEqual([]);
  return printProgram(program);
};

describe('schedule', () => {
  it('a chain is one straight sequence of ops; temporaries ping-pong', () => {
    expect(
      scheduled(`
        map bf : 8 -> 8 f32
        param bf.twiddle (3,4,2,2)
        chain
          ks(a=4 b=2 c=2 d=1) w=bf.twiddle[0:16] in=[] out=[]
          ks(a=2 b=2 c=2 d=2) w=bf.twiddle[16:32] in=[] out=[]
          ks(a=1 b=2 c=2 d=4) w=bf.twiddle[32:48] in=[] out=[]
          ks(a=2 b=2 c=2 d=2) w=bf.twiddle[16:32] in=[] out=[]
      `),
    ).toBe(
      dedent(`
        program bf : 8 -> 8 f32
        param bf.twiddle (3,4,2,2) @0
        paramSize 48
        buffers x[8] y[8] t0[8] t1[8]
        op 0: t0 = ks(a=4 b=2 c=2 d=1) w=bf.twiddle[0:16] in=[] out=[] src=x
        op 1: t1 = ks(a=2 b=2 c=2 d=2) w=bf.twiddle[16:32] in=[] out=[] src=t0
        op 2: t0 = ks(a=1 b=2 c=2 d=4) w=bf.twiddle[32:48] in=[] out=[] src=t1
        op 3: y = ks(a=2 b=2 c=2 d=2) w=bf.twiddle[16:32] in=[] out=[] src=t0
      `),
    );
  });

  it("a Monarch pair's marks ride on its ops", () => {
    expect(
      scheduled(`
        map up : 48 -> 96 f32
        param up.blkdiag1 (4,12,12)
        param up.blkdiag2 (4,24,12)
        chain
          ks(a=4 b=12 c=12 d=1) w=up.blkdiag1[0:576] in=[] out=[] pair=0.0
          ks(a=1 b=24 c=12 d=4) w=up.blkdiag2[0:1152] in=[] out=[] pair=0.1
      `),
    ).toBe(
      dedent(`
        program up : 48 -> 96 f32
        param up.blkdiag1 (4,12,12) @0
        param up.blkdiag2 (4,24,12) @576
        paramSize 1728
        buffers x[48] y[96] t0[48]
        op 0: t0 = ks(a=4 b=12 c=12 d=1) w=up.blkdiag1[0:576] in=[] out=[] pair=0.0 src=x
        op 1: y = ks(a=1 b=24 c=12 d=4) w=up.blkdiag2[0:1152] in=[] out=[] pair=0.1 src=t0
      `),
    );
  });

  it('sums: the first writer overwrites, later ones accumulate, the bias rides in an epilogue', () => {
    expect(
      scheduled(`
        map pf : 12 -> 6 f32
        param pf.0.values (2,3,4)
        param pf.1.U (6,2)
        param pf.1.V (2,12)
        param pf.2.bias (6)
        sum
          bsr(rows=6 cols=12 bh=3 bw=4) blocks=[(0,1) (1,2)] w=pf.0.values[0:24] in=[] out=[]
          bias(size=6) b=pf.2.bias[0:6] out=[]
          chain
            ks(a=1 b=2 c=12 d=1) w=pf.1.V[0:24] in=[] out=[]
            ks(a=1 b=6 c=2 d=1) w=pf.1.U[0:12] in=[] out=[]
      `),
    ).toBe(
      dedent(`
        program pf : 12 -> 6 f32
        param pf.0.values (2,3,4) @0
        param pf.1.U (6,2) @24
        param pf.1.V (2,12) @40
        param pf.2.bias (6) @64
        paramSize 70
        buffers x[12] y[6] t0[2]
        op 0: y = bsr(rows=6 cols=12 bh=3 bw=4) blocks=[(0,1) (1,2)] w=pf.0.values[0:24] in=[] out=[] src=x bias=pf.2.bias[0:6]
        op 1: t0 = ks(a=1 b=2 c=12 d=1) w=pf.1.V[0:24] in=[] out=[] src=x
        op 2: y += ks(a=1 b=6 c=2 d=1) w=pf.1.U[0:12] in=[] out=[] src=t0
      `),
    );
  });

  it('folds a bias only into an op with the same output map; otherwise a BiasOp', () => {
    expect(
      scheduled(`
        map s : 4 -> 4 f32
        param s.w (1,4,4)
        param s.b (4)
        param s.c (4)
        sum
          ks(a=1 b=4 c=4 d=1) w=s.w[0:16] in=[] out=[(2,2):(1,0)]
          bias(size=4) b=s.b[0:4] out=[]
          bias(size=4) b=s.c[0:4] out=[(2,2):(1,0)]
      `),
    ).toBe(
      dedent(`
        program s : 4 -> 4 f32
        param s.w (1,4,4) @0
        param s.b (4) @16
        param s.c (4) @24
        paramSize 28
        buffers x[4] y[4]
        op 0: y = ks(a=1 b=4 c=4 d=1) w=s.w[0:16] in=[] out=[(2,2):(1,0)] src=x bias=s.c[0:4]
        op 1: y += bias(size=4) b=s.b[0:4] out=[]
      `),
    );
  });

  it('a map that is only a bias is one BiasOp', () => {
    expect(
      scheduled(`
        map b : 4 -> 4 f32
        param b.bias (4)
        bias(size=4) b=b.bias[0:4] out=[]
      `),
    ).toBe(
      dedent(`
        program b : 4 -> 4 f32
        param b.bias (4) @0
        paramSize 4
        buffers x[4] y[4]
        op 0: y = bias(size=4) b=b.bias[0:4] out=[]
      `),
    );
  });

  it('a sum inside a chain writes a temporary; its terms keep their own temporaries apart', () => {
    expect(
      scheduled(`
        map c : 6 -> 6 f32
        param c.w (1,6,6)
        chain
          ks(a=1 b=6 c=6 d=1) w=c.w[0:36] in=[] out=[]
          sum
            chain
              ks(a=1 b=6 c=6 d=1) w=c.w[0:36] in=[] out=[]
              ks(a=1 b=6 c=6 d=1) w=c.w[0:36] in=[] out=[]
            ks(a=1 b=6 c=6 d=1) w=c.w[0:36] in=[] out=[]
          ks(a=1 b=6 c=6 d=1) w=c.w[0:36] in=[] out=[]
      `),
    ).toBe(
      dedent(`
        program c : 6 -> 6 f32
        param c.w (1,6,6) @0
        paramSize 36
        buffers x[6] y[6] t0[6] t1[6] t2[6]
        op 0: t0 = ks(a=1 b=6 c=6 d=1) w=c.w[0:36] in=[] out=[] src=x
        op 1: t2 = ks(a=1 b=6 c=6 d=1) w=c.w[0:36] in=[] out=[] src=t0
        op 2: t1 = ks(a=1 b=6 c=6 d=1) w=c.w[0:36] in=[] out=[] src=t2
        op 3: t1 += ks(a=1 b=6 c=6 d=1) w=c.w[0:36] in=[] out=[] src=t0
        op 4: y = ks(a=1 b=6 c=6 d=1) w=c.w[0:36] in=[] out=[] src=t1
      `),
    );
  });

  it('starts each parameter tensor at a multiple of 8 elements (16 bytes at f16), whatever the dtype', () => {
    const params = [
      { name: 'a', shape: [3] },
      { name: 'b', shape: [2, 3] },
      { name: 'c', shape: [4] },
    ];
    const { layout, size } = layoutParams(params);
    expect(layout.map((e) => e.offset)).toEqual([0, 8, 16]);
    expect(size).toBe(20);
  });
});
