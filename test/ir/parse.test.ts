import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { IrExpr, IrMap } from '../../src/ir/ir.js';
import { lowerMap } from '../../src/ir/lower.js';
import { parseIrMap } from '../../src/ir/parse.js';
import { foldPermutations } from '../../src/ir/passes/fold-permutations.js';
import { printIrMap } from '../../src/ir/printer.js';
import { checkedMap, randomStructure, rng, SMALL_SIZES } from './structures.js';

/** The IR without spans (the text does not carry them). */
function withoutSpans(map: IrMap): unknown {
  const strip = (e: IrExpr): unknown => {
    const { span: _span, ...rest } = e;
    if (e.kind === 'chain') return { ...rest, stages: e.stages.map(strip) };
    if (e.kind === 'sum') return { ...rest, terms: e.terms.map(strip) };
    return rest;
  };
  const { span: _span, body, ...rest } = map;
  return { ...rest, body: strip(body) };
}

describe('IR text', () => {
  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(...SMALL_SIZES), fc.constantFrom(...SMALL_SIZES)], { numRuns: 100 })(
    'parse(print(ir)) is ir and print(parse(text)) is text, before and after folding',
    (seed, n, m) => {
      const lowered = lowerMap(checkedMap('m', randomStructure(rng(seed), n, m, 2)), 'f16');
      for (const ir of [lowered, foldPermutations(lowered).result!]) {
        const text = printIrMap(ir);
        const back = parseIrMap(text);
        expect(withoutSpans(back)).toEqual(withoutSpans(ir));
        expect(printIrMap(back)).toBe(text);
      }
    },
  );

  it('reads a Monarch pair mark and rejects a malformed one', () => {
    const text = ['map p : 16 -> 16 f32', 'param p.w (4,4,4)', 'ks(a=4 b=4 c=4 d=1) w=p.w[0:64] in=[] out=[] pair=7.1', ''].join('\n');
    const map = parseIrMap(text);
    expect(map.body.kind === 'ks' && map.body.pair).toEqual({ group: 7, stage: 1 });
    expect(printIrMap(map)).toBe(text);
    expect(() => parseIrMap(text.replace('pair=7.1', 'pair=7.2'))).toThrow(/bad pair mark '7.2'/);
  });

  it('reads bsr blocks, bias and multi-step maps', () => {
    const text = [
      'map q : 8 -> 8 f32',
      'param q.v (3,4,2)',
      'param q.b (8)',
      'sum',
      '  bsr(rows=8 cols=8 bh=4 bw=2) blocks=[(0,0) (0,3) (1,2)] w=q.v[0:24] in=[(2,4):(1,0) (8):(0)] out=[]',
      '  bias(size=8) b=q.b[0:8] out=[(2,2,2):(2,1,0)]',
      '',
    ].join('\n');
    const map = parseIrMap(text);
    const [bsr, bias] = (map.body as Extract<IrExpr, { kind: 'sum' }>).terms;
    expect(bsr).toMatchObject({ kind: 'bsr', blocks: [[0, 0], [0, 3], [1, 2]], weight: { tensor: 'q.v', offset: 0, length: 24 } });
    expect(bsr.kind === 'bsr' && bsr.input.steps).toEqual([{ shape: [2, 4], perm: [1, 0] }, { shape: [8], perm: [0] }]);
    expect(bias).toMatchObject({ kind: 'bias', size: 8, output: { size: 8, steps: [{ shape: [2, 2, 2], perm: [2, 1, 0] }] } });
    expect(printIrMap(map)).toBe(text);
  });

  it('names the line of malformed text', () => {
    expect(() => parseIrMap('map q : 4 -> 4 f32\nks(a=1 b=4 c=4) w=q.w[0:16] in=[] out=[]\n')).toThrow(/line 2: missing argument d/);
    expect(() => parseIrMap('map q : 4 -> 4 f32\nchain\n   ks(a=1 b=4 c=4 d=1) w=q.w[0:16] in=[] out=[]\n')).toThrow(/line 3: expected indentation 2/);
    expect(() => parseIrMap('map q : 4 -> 4 f32\nfoo(x=1)\n')).toThrow(/line 2: unknown node 'foo'/);
    expect(() => parseIrMap('mop q\n')).toThrow(/line 1/);
    expect(() => parseIrMap('map q : 4 -> 4 f32\nks(a=1 b=4 c=4 d=1) w=q.w[0:16] in=[(2,2)] out=[]\n')).toThrow(/bad index map/);
  });
});
