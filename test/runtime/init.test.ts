import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ParamSpec } from '../../src/dsl/structure.js';
import { initParams } from '../../src/runtime/init.js';
import { MoncError } from '../../src/util/error.js';

const specs: ParamSpec[] = [
  { name: 'up.blkdiag1', shape: [4, 8, 8], fanIn: 8 },
  { name: 'up.blkdiag2', shape: [4, 8, 8], fanIn: 8 },
  { name: 'down.1.bias', shape: [32], fanIn: 100 },
];

describe('initParams', () => {
  it('fills every tensor uniformly within ±1/√fanIn', () => {
    const params = initParams(specs, 0);
    for (const s of specs) {
      const v = params.get(s.name)!;
      expect(v.length).toBe(s.shape.reduce((a, b) => a * b, 1));
      const bound = 1 / Math.sqrt(s.fanIn);
      expect(Math.max(...v)).toBeLessThan(bound);
      expect(Math.min(...v)).toBeGreaterThanOrEqual(-bound);
      // Uniform on [-b, b): mean 0, variance b²/3; loose bounds for 32..256 samples.
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
      expect(Math.abs(mean)).toBeLessThan(0.25 * bound);
      expect(variance).toBeGreaterThan(0.5 * (bound * bound) / 3);
      expect(variance).toBeLessThan(1.5 * (bound * bound) / 3);
    }
  });

  it('is deterministic, and each tensor depends only on the seed and its own name', () => {
    const a = initParams(specs, 42);
    expect(initParams(specs, 42)).toEqual(a);
    expect(initParams([...specs].reverse(), 42)).toEqual(a);
    expect(initParams([specs[1]], 42).get('up.blkdiag2')).toEqual(a.get('up.blkdiag2'));
    expect(initParams(specs, 43).get('up.blkdiag1')).not.toEqual(a.get('up.blkdiag1'));
    expect(a.get('up.blkdiag1')).not.toEqual(a.get('up.blkdiag2'));
    expect(initParams(specs, 2 ** 32 + 42).get('up.blkdiag1')).not.toEqual(a.get('up.blkdiag1'));
  });

  it('produces the documented bytes (the first values agree with a Python transcription of the doc comment)', () => {
    const v = initParams([{ name: 'mixer.twiddle', shape: [4, 2, 2], fanIn: 2 }], 7).get('mixer.twiddle')!;
    const digest = createHash('sha256').update(new Uint8Array(v.buffer)).digest('hex');
    expect({ first: [...v.slice(0, 3)], digest }).toMatchInlineSnapshot(`
      {
        "digest": "dfef39b58f6dc4af036ebffdeeb545af147e5b60faa0d859228b8d47c3049aac",
        "first": [
          -0.06193605810403824,
          0.2063600718975067,
          0.07356429100036621,
        ],
      }
    `);
  });

  it('rejects seeds that are not non-negative integers', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) {
      const error = (() => {
        try {
          initParams(specs, bad);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(MoncError);
      expect(error).toMatchObject({ kind: 'user', message: `seed must be a non-negative integer, got ${bad}` });
    }
    // QA2 s26 Q553: a Symbol in the message's template was a TypeError; a BigInt showed as the number it looks like.
    expect(() => initParams(specs, Symbol('s') as never)).toThrow(new MoncError('user', 'seed must be a non-negative integer, got Symbol(s)'));
    expect(() => initParams(specs, 3n as never)).toThrow(new MoncError('user', "seed must be a non-negative integer, got '3' (a bigint)"));
  });

  it('refuses anything but a list of parameter specs with a MoncError naming the call (QA2 s12 R10: initParams(1, 1) was a TypeError)', () => {
    for (const [bad, got] of [[1, 'number'], [null, 'null'], [undefined, 'undefined'], ['x', 'string'], [{}, 'object'], [[{ name: 'a' }], 'Array'], [new Uint8Array(3), 'Uint8Array']] as const) {
      expect(() => initParams(bad as never, 1), String(bad)).toThrow(expect.objectContaining({ kind: 'user', message: `initParams(params, seed) takes a map's parameter specs (model.params: name, shape, fanIn), got ${got}` }));
    }
    expect(initParams([], 1).size).toBe(0);
  });
});
