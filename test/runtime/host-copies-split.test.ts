// bench/host-copies.ts (host-path.ts --split-copies): every large TypedArray.set while counting is a copy in (from x's
// buffer) or a copy out (from anything else); small ones, and any while not counting, are left out.
import { describe, expect, it } from 'vitest';
import { CopySplit } from '../../bench/host-copies.js';

describe('CopySplit', () => {
  it('times large copies from x as in, others as out, only while counting', () => {
    const x = new Float32Array(1 << 16);
    const split = new CopySplit(x, 1 << 12);
    split.start();
    const target = new Float32Array(x.length);
    target.set(x);
    expect(split.take()).toEqual({ inMs: 0, outMs: 0 });
    split.count(true);
    let sets = 0;
    for (; sets < 200; sets++) {
      target.set(x.subarray(0, 1 << 15));
      new Float32Array(1 << 15).set(target.subarray(0, 1 << 15));
      // Below minBytes: never counted.
      target.set(x.subarray(0, 16));
    }
    split.count(false);
    target.set(new Float32Array(1 << 15));
    const { inMs, outMs } = split.take();
    expect(inMs).toBeGreaterThan(0);
    expect(outMs).toBeGreaterThan(0);
    expect(split.take()).toEqual({ inMs: 0, outMs: 0 });
    // The wrapper copies as the builtin does.
    expect(target[5]).toBe(0);
    target.set([1, 2], 5);
    expect([target[5], target[6]]).toEqual([1, 2]);
  });
});
