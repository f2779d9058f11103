import { test as fcTest, fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/runtime/formats/format-error.js';
import { readNpy, writeNpy } from '../../src/runtime/formats/npy.js';

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** The .npy header numpy 2.4 writes for `descr` and `shape` (np.save), as hex. */
const header = (descr: string, shape: string) => {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  return toHex(new TextEncoder().encode(dict.padEnd(117, ' ') + '\n'));
};
const npyBytes = (descr: string, shape: string, data: string) => hex(`934e554d50590100` + '7600' + header(descr, shape) + data);

// Bytes written by numpy 2.4.6's np.save (hex), kept verbatim.
const NUMPY_F4_2x3 =
  '934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000803f0000004000004040000080400000a040';
const NUMPY_F2_3 =
  '934e554d5059010076007b276465736372273a20273c6632272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a003e00c00034';
const NUMPY_B1_2x2 =
  '934e554d5059010076007b276465736372273a20277c6231272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2032292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a01000001';
const NUMPY_F8_3 =
  '934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000000000000000000000000000f03f0000000000000040';
const NUMPY_F4_SCALAR =
  '934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000e040';

describe('npy reading', () => {
  it('reads <f4 2-D as numpy wrote it', () => {
    const a = readNpy(hex(NUMPY_F4_2x3));
    expect(a.dtype).toBe('<f4');
    expect(a.shape).toEqual([2, 3]);
    expect(a.data).toBeInstanceOf(Float32Array);
    expect([...a.data]).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reads <f2, <f8, |b1 and 0-D', () => {
    expect([...readNpy(hex(NUMPY_F2_3)).data]).toEqual([1.5, -2, 0.25]);
    const f8 = readNpy(hex(NUMPY_F8_3));
    expect(f8.data).toBeInstanceOf(Float64Array);
    expect([...f8.data]).toEqual([0, 1, 2]);
    const mask = readNpy(hex(NUMPY_B1_2x2));
    expect(mask.shape).toEqual([2, 2]);
    expect([...mask.data]).toEqual([1, 0, 0, 1]);
    const scalar = readNpy(hex(NUMPY_F4_SCALAR));
    expect(scalar.shape).toEqual([]);
    expect([...scalar.data]).toEqual([7]);
  });

  it('reads N-D arrays and little-endian integers', () => {
    const a = readNpy(writeNpy(Float32Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]));
    expect(a.shape).toEqual([2, 3, 4]);
    expect(a.data[23]).toBe(23);
    const ints = readNpy(npyBytes('<i4', '(2,)', 'ffffffff07000000'));
    expect([...ints.data]).toEqual([-1, 7]);
  });

  it('reads a version 2.0 header', () => {
    const dict = new TextEncoder().encode(`{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }`.padEnd(115, ' ') + '\n');
    const bytes = new Uint8Array(12 + dict.length + 4);
    bytes.set(hex('934e554d50590200'));
    new DataView(bytes.buffer).setUint32(8, dict.length, true);
    bytes.set(dict, 12);
    new DataView(bytes.buffer).setFloat32(12 + dict.length, 2.5, true);
    expect([...readNpy(bytes).data]).toEqual([2.5]);
  });

  const rejects = (bytes: Uint8Array, message: RegExp) => {
    expect(() => readNpy(bytes)).toThrow(FormatError);
    expect(() => readNpy(bytes)).toThrow(message);
  };

  it('rejects big-endian, Fortran order and unknown dtypes clearly', () => {
    rejects(npyBytes('>f4', '(1,)', '3f800000'), /big-endian dtype '>f4'/);
    rejects(hex(NUMPY_F4_2x3.replace(toHex(new TextEncoder().encode('False')), toHex(new TextEncoder().encode('True ')))), /fortran_order True/);
    rejects(npyBytes('<c8', '(1,)', '0000000000000000'), /unsupported dtype '<c8'/);
    rejects(npyBytes('<U3', '(1,)', '000000000000000000000000'), /unsupported dtype/);
  });

  it('rejects truncated and malformed files', () => {
    rejects(new Uint8Array([1, 2, 3]), /not a .npy file/);
    rejects(hex(NUMPY_F4_2x3).subarray(0, 130), /truncated data: shape \(2, 3\) of <f4 needs 24 bytes, the file has 2/);
    rejects(hex(NUMPY_F4_2x3).subarray(0, 60), /header length 118 goes beyond the end/);
    rejects(npyBytes('<f4', '(2, x)', '00000000'), /malformed header/);
    const extra = new Uint8Array([...hex(NUMPY_F4_2x3), 0]);
    rejects(extra, /trailing data/);
  });
});

describe('npy writing', () => {
  it('writes exactly the bytes np.save writes', () => {
    expect(toHex(writeNpy([0, 1, 2, 3, 4, 5], [2, 3]))).toBe(NUMPY_F4_2x3);
    expect(toHex(writeNpy([1.5, -2, 0.25], [3], '<f2'))).toBe(NUMPY_F2_3);
    expect(toHex(writeNpy([7], []))).toBe(NUMPY_F4_SCALAR);
  });

  it('aligns the data to 64 bytes', () => {
    for (const shape of [[1], [123456789, 0], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0]]) {
      const bytes = writeNpy(shape.includes(0) ? [] : [0], shape);
      const headerLength = new DataView(bytes.buffer).getUint16(8, true);
      expect((10 + headerLength) % 64).toBe(0);
      expect(bytes[10 + headerLength - 1]).toBe(0x0a);
    }
  });

  it('rejects a shape that does not match the data', () => {
    expect(() => writeNpy([1, 2, 3], [2, 2])).toThrow('writeNpy: shape (2, 2) holds 4 values, data 3');
    // A 1-D shape as NumPy (and every other message of monc) writes it (QA1 s27 Q602).
    expect(() => writeNpy([1, 2, 3], [4])).toThrow('writeNpy: shape (4,) holds 4 values, data 3');
  });

  const shapes = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 });
  fcTest.prop([shapes, fc.integer()])('round-trips <f4 arrays of any shape', (shape, seed) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed + i) * 1e3));
    const back = readNpy(writeNpy(data, shape));
    expect(back.shape).toEqual(shape);
    expect(back.data).toEqual(data);
  });

  fcTest.prop([fc.array(fc.float({ noNaN: true, min: -60000, max: 60000 }), { minLength: 1, maxLength: 50 })])('round-trips <f2 through half rounding', (values) => {
    const once = readNpy(writeNpy(values, [values.length], '<f2')).data;
    const twice = readNpy(writeNpy(once, [values.length], '<f2')).data;
    expect(twice).toEqual(once);
    values.forEach((v, i) => expect(Math.abs(once[i] - v)).toBeLessThanOrEqual(Math.max(Math.abs(v) * 2 ** -11, 2 ** -25)));
  });
});
