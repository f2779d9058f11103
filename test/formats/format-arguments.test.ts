/**
 * The format functions of `monc/runtime` called from JavaScript with the wrong arguments (null,
 * a string, an object for bytes or numbers; an unknown dtype; tensors not in a Map): one
 * MoncError of kind `user` naming the call, never a TypeError, and never a file written with a
 * dtype it does not hold. Right arguments round-trip as before.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { f16ArrayToF32, f32ArrayToF16, isNpy, readNpy, readSafetensors, writeNpy, writeSafetensors } from '../../src/runtime/index.js';
import { MoncError } from '../../src/util/error.js';
import { expectMoncErrorNow } from '../support/user-error.js';

type Call = (a: unknown, b: unknown, c: unknown) => unknown;
const calls: Record<string, Call> = {
  readNpy: (a) => readNpy(a as never),
  isNpy: (a) => isNpy(a as never),
  writeNpy: (a, b, c) => writeNpy(a as never, b as never, c as never),
  readSafetensors: (a) => readSafetensors(a as never),
  writeSafetensors: (a, b) => writeSafetensors(a as never, b as never),
  f32ArrayToF16: (a) => f32ArrayToF16(a as never),
  f16ArrayToF32: (a) => f16ArrayToF32(a as never),
};

describe('format functions given the wrong arguments', () => {
  it.each<[string, () => unknown, string]>([
    ['readNpy(null)', () => calls.readNpy(null, 0, 0), 'readNpy takes the bytes of a .npy file (a Uint8Array), got null'],
    ['isNpy("x")', () => calls.isNpy('x', 0, 0), 'isNpy takes the bytes of a file (a Uint8Array), got string'],
    ['writeNpy(undefined, [2])', () => calls.writeNpy(undefined, [2], undefined), 'writeNpy: data must be an array of numbers (a typed array or an Array), got undefined'],
    ['writeNpy(data, "2")', () => calls.writeNpy(new Float32Array(2), '2', undefined), 'writeNpy: shape must be an array of numbers (a typed array or an Array), got string'],
    ['writeNpy(data, [2], "<f8")', () => calls.writeNpy(new Float32Array(2), [2], '<f8'), "writeNpy: dtype must be '<f4' or '<f2', got '<f8' (a string)"],
    ['writeSafetensors({ a })', () => calls.writeSafetensors({ a: { shape: [1], data: [1] } }, undefined, 0), 'writeSafetensors takes the tensors by name (a Map of { shape, data }), got object'],
    ['writeSafetensors(map, { dtype: "F64" })', () => calls.writeSafetensors(new Map([['a', { shape: [1], data: [1] }]]), { dtype: 'F64' }, 0), "writeSafetensors: dtype must be 'F32' or 'F16', got 'F64' (a string)"],
    ['writeSafetensors(map of null)', () => calls.writeSafetensors(new Map([['a', null]]), undefined, 0), "writeSafetensors: tensor 'a' must be { shape, data } with shape an array, got null"],
    ['writeSafetensors(map, data null)', () => calls.writeSafetensors(new Map([['a', { shape: [1], data: null }]]), undefined, 0), "writeSafetensors: tensor 'a''s data must be an array of numbers"],
    ['writeSafetensors(map, metadata of numbers)', () => calls.writeSafetensors(new Map(), { metadata: { step: 3 } }, 0), 'writeSafetensors: metadata must be an object of strings, got object'],
    ['f32ArrayToF16(null)', () => calls.f32ArrayToF16(null, 0, 0), 'f32ArrayToF16: values must be an array of numbers (a typed array or an Array), got null'],
    ['f16ArrayToF32({})', () => calls.f16ArrayToF32({}, 0, 0), 'f16ArrayToF32: bits must be an array of numbers (a typed array or an Array), got object'],
    // QA2 s26 Q553: arrays that are not of numbers were TypeErrors where their values were read (BigInt64Array, DataView).
    ['f32ArrayToF16(BigInt64Array)', () => calls.f32ArrayToF16(new BigInt64Array(2), 0, 0), 'f32ArrayToF16: values must be an array of numbers (a typed array or an Array), got BigInt64Array'],
    ['f16ArrayToF32(BigUint64Array)', () => calls.f16ArrayToF32(new BigUint64Array(2), 0, 0), 'f16ArrayToF32: bits must be an array of numbers (a typed array or an Array), got BigUint64Array'],
    ['f16ArrayToF32(DataView)', () => calls.f16ArrayToF32(new DataView(new ArrayBuffer(4)), 0, 0), 'f16ArrayToF32: bits must be an array of numbers (a typed array or an Array), got DataView'],
    ['writeNpy(data, BigInt64Array shape)', () => calls.writeNpy([1, 2], new BigInt64Array([2n]), undefined), 'writeNpy: shape must be an array of numbers (a typed array or an Array), got BigInt64Array'],
    // QA2 s31 Q1052: 'got Array' contradicted 'or an Array'; the element that is no number is named.
    ['writeNpy([1n, 2n], [2])', () => calls.writeNpy([1n, 2n], [2], undefined), "writeNpy: data must be an array of numbers (a typed array or an Array), got an Array holding '1' (a bigint) at [0]"],
    ['writeNpy([1, "1"], [2])', () => calls.writeNpy([1, '1'], [2], undefined), "writeNpy: data must be an array of numbers (a typed array or an Array), got an Array holding '1' (a string) at [1]"],
    // A shape of the wrong values, or one that does not hold the data: the caller's arguments, not a file's (FormatError).
    ['writeNpy([1], [-1])', () => calls.writeNpy([1], [-1], undefined), 'writeNpy: shape must be whole numbers ≥ 0, got (-1,)'],
    ['writeNpy([1], [1.5])', () => calls.writeNpy([1], [1.5], undefined), 'writeNpy: shape must be whole numbers ≥ 0, got (1.5,)'],
    ['writeNpy([1, 2, 3], [4])', () => calls.writeNpy([1, 2, 3], [4], undefined), 'writeNpy: shape (4,) holds 4 values, data 3'],
    ['writeSafetensors(map, data BigInt64Array)', () => calls.writeSafetensors(new Map([['t', { shape: [2], data: new BigInt64Array(2) }]]), undefined, 0), "writeSafetensors: tensor 't''s data must be an array of numbers (a typed array or an Array), got BigInt64Array"],
    ['writeNpy(data, [2], Symbol())', () => calls.writeNpy([1, 2], [2], Symbol('f8')), "writeNpy: dtype must be '<f4' or '<f2', got Symbol(f8)"],
  ])('%s: a user error naming the call', (_, call, message) => {
    expectMoncErrorNow(call, 'user', message);
  });

  it('right arguments still round-trip (npy f2, safetensors F16 with metadata, f16 arrays)', () => {
    const values = [0.5, -2, 1024, 3.25];
    expect([...readNpy(writeNpy(values, [2, 2], '<f2')).data]).toEqual(values);
    const file = readSafetensors(writeSafetensors(new Map([['w', { shape: [4], data: values }]]), { dtype: 'F16', metadata: { step: '3' } }));
    expect([...file.tensors.get('w')!.data]).toEqual(values);
    expect(file.metadata).toEqual({ step: '3' });
    expect([...f16ArrayToF32(f32ArrayToF16(values))]).toEqual(values);
  });

  it('any arguments: a result or a MoncError, never another error', () => {
    const anything = fc.oneof(fc.anything(), fc.constantFrom<unknown>(new Uint8Array(12), new Float32Array(3), [2], '<f2', new Map([['a', { shape: [1], data: [1] }]]), new BigInt64Array(2), [1n], Symbol('s')));
    fc.assert(
      fc.property(fc.constantFrom(...Object.entries(calls)), anything, anything, anything, ([name, call], a, b, c) => {
        try {
          call(a, b, c);
        } catch (e) {
          if (!(e instanceof MoncError)) throw new Error(`${name}: ${String(e)}`);
        }
      }),
      { numRuns: 700, seed: 5 },
    );
  });
});
