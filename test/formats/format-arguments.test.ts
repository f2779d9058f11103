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
    ['writeNpy(data, [2], "<f8")', () => calls.writeNpy(new Float32Array(2), [2], '<f8'), "writeNpy: dtype must be '<f4' or '<f2', got <f8"],
    ['writeSafetensors({ a })', () => calls.writeSafetensors({ a: { shape: [1], data: [1] } }, undefined, 0), 'writeSafetensors takes the tensors by name (a Map of { shape, data }), got object'],
    ['writeSafetensors(map, { dtype: "F64" })', () => calls.writeSafetensors(new Map([['a', { shape: [1], data: [1] }]]), { dtype: 'F64' }, 0), "writeSafetensors: dtype must be 'F32' or 'F16', got F64"],
    ['writeSafetensors(map of null)', () => calls.writeSafetensors(new Map([['a', null]]), undefined, 0), "writeSafetensors: tensor 'a' must be { shape, data } with shape an array, got null"],
    ['writeSafetensors(map, data null)', () => calls.writeSafetensors(new Map([['a', { shape: [1], data: null }]]), undefined, 0), "writeSafetensors: tensor 'a''s data must be an array of numbers"],
    ['writeSafetensors(map, metadata of numbers)', () => calls.writeSafetensors(new Map(), { metadata: { step: 3 } }, 0), 'writeSafetensors: metadata must be an object of strings, got object'],
    ['f32ArrayToF16(null)', () => calls.f32ArrayToF16(null, 0, 0), 'f32ArrayToF16: values must be an array of numbers (a typed array or an Array), got null'],
    ['f16ArrayToF32({})', () => calls.f16ArrayToF32({}, 0, 0), 'f16ArrayToF32: bits must be an array of numbers (a typed array or an Array), got object'],
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
    const anything = fc.oneof(fc.anything(), fc.constantFrom<unknown>(new Uint8Array(12), new Float32Array(3), [2], '<f2', new Map([['a', { shape: [1], data: [1] }]])));
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
