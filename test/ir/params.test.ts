/** runtime/params: packing tensors into a program's parameter layout and back. */
import { describe, expect, it } from 'vitest';
import type { ParamLayoutEntry } from '../../src/ir/ir.js';
import { packParams, ParamError, unpackParams } from '../../src/runtime/params.js';

const layout: ParamLayoutEntry[] = [
  { name: 'm.0.blkdiag1', shape: [2, 1, 3], offset: 0 },
  { name: 'm.1.bias', shape: [2], offset: 8 },
];

describe('packParams', () => {
  it('places each tensor at its offset, zero padding between, from a Map or a record', () => {
    const tensors = { 'm.0.blkdiag1': [1, 2, 3, 4, 5, 6], 'm.1.bias': new Float64Array([7, 8]), extra: [9] };
    const want = [1, 2, 3, 4, 5, 6, 0, 0, 7, 8];
    expect([...packParams(layout, 10, tensors)]).toEqual(want);
    expect([...packParams(layout, 10, new Map(Object.entries(tensors)))]).toEqual(want);
  });

  it('names a missing tensor and its expected shape', () => {
    expect(() => packParams(layout, 10, { 'm.0.blkdiag1': [1, 2, 3, 4, 5, 6] })).toThrow(ParamError);
    expect(() => packParams(layout, 10, { 'm.0.blkdiag1': [1, 2, 3, 4, 5, 6] })).toThrow("missing parameter tensor 'm.1.bias' (expected shape (2,))");
  });

  it('names a tensor of the wrong size and its expected shape', () => {
    expect(() => packParams(layout, 10, { 'm.0.blkdiag1': [1, 2, 3], 'm.1.bias': [7, 8] })).toThrow(
      "parameter tensor 'm.0.blkdiag1' has 3 elements; expected shape (2, 1, 3) = 6 elements",
    );
  });

  it('does not take inherited properties of a record for tensors', () => {
    expect(() => packParams([{ name: 'toString', shape: [1], offset: 0 }], 1, {})).toThrow(/missing parameter tensor 'toString'/);
  });
});

describe('unpackParams', () => {
  it('inverts packParams', () => {
    const packed = packParams(layout, 10, { 'm.0.blkdiag1': [1, 2, 3, 4, 5, 6], 'm.1.bias': [7, 8] });
    const back = unpackParams(layout, packed);
    expect([...back.keys()]).toEqual(['m.0.blkdiag1', 'm.1.bias']);
    expect([...back.get('m.0.blkdiag1')!]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...back.get('m.1.bias')!]).toEqual([7, 8]);
  });

  it('rejects a buffer too short for the layout', () => {
    expect(() => unpackParams(layout, new Float32Array(9))).toThrow(ParamError);
  });
});
