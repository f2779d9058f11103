// bench/host-copies.ts (host-path.ts --split-copies): every large TypedArray.set while counting is a copy in (from x's
// buffer) or a copy out (from anything else); small ones, and any while not counting, are left out; stop() puts the
// builtin back (the file shares its worker with other test files).
import { describe, expect, it } from 'vitest';
import { CopySplit } from '../../bench/host-copies.js';

describe('CopySplit', () => {
  it('counts large copies from x as in, others as out, only while counting, and restores set', () => {
    const builtin = Float32Array.prototype.set;
    const x = new Float32Array(1 << 16);
    const split = new CopySplit(x, 1 << 12);
    split.start();
    try {
      const target = new Float32Array(x.length);
      target.set(x);
      split.count(true);
      for (let i = 0; i < 3; i++) {
        target.set(x.subarray(0, 1 << 15));
        new Float32Array(1 << 15).set(target.subarray(0, 1 << 15));
        // Below minBytes, or not a typed array: never counted.
        target.set(x.subarray(0, 16));
        target.set([1, 2], 5);
      }
      split.count(false);
      target.set(new Float32Array(1 << 15));
      const taken = split.take();
      expect([taken.in.count, taken.in.bytes, taken.out.count, taken.out.bytes]).toEqual([3, 3 << 17, 3, 3 << 17]);
      expect(split.take().in.count + split.take().out.count).toBe(0);
      // The wrapper copies as the builtin does.
      target.set([1, 2], 5);
      expect([target[4], target[5], target[6], target[7]]).toEqual([0, 1, 2, 0]);
      expect(() => target.set(undefined as unknown as number[])).toThrow(TypeError);
    } finally {
      split.stop();
    }
    expect(Float32Array.prototype.set).toBe(builtin);
  });
});
