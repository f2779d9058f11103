import { test as fcTest, fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/runtime/formats/format-error.js';
import { MoncError } from '../../src/util/error.js';
import { decodeSafetensorsTensor, readSafetensors, readSafetensorsIndex, writeSafetensors, type TensorToWrite } from '../../src/runtime/formats/safetensors.js';
import { f32Tensor, rawSafetensors } from '../support/raw-safetensors.js';

/** A safetensors file from a header (JSON text, not re-serialised) and the data bytes. */
function file(header: string, data: number[]): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** readSafetensors refuses `bytes` with a FormatError whose message matches. */
function rejects(bytes: Uint8Array, message: RegExp): void {
  expect(() => readSafetensors(bytes)).toThrow(FormatError);
  expect(() => readSafetensors(bytes)).toThrow(message);
}
const entry = (o: object) => JSON.stringify(o);

describe('safetensors reading', () => {
  it('reads a hand-made file with every supported dtype and metadata', () => {
    const bytes = file(
      JSON.stringify({
        __metadata__: { format: 'pt' },
        w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        h: { dtype: 'F16', shape: [1, 2], data_offsets: [8, 12] },
        b: { dtype: 'BF16', shape: [1], data_offsets: [12, 14] },
        d: { dtype: 'F64', shape: [], data_offsets: [14, 22] },
      }),
      [
        ...[0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0], // F32 1, -2
        ...[0x00, 0x3c, 0x00, 0xb8], // F16 1, -0.5
        ...[0x40, 0x40], // BF16 3
        ...[0, 0, 0, 0, 0, 0, 0x12, 0x40], // F64 4.5
      ],
    );
    const f = readSafetensors(bytes);
    expect(f.metadata).toEqual({ format: 'pt' });
    expect([...f.tensors.keys()]).toEqual(['w', 'h', 'b', 'd']);
    expect(f.tensors.get('w')).toEqual({ dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) });
    expect(f.tensors.get('h')).toEqual({ dtype: 'F16', shape: [1, 2], data: new Float32Array([1, -0.5]) });
    expect(f.tensors.get('b')).toEqual({ dtype: 'BF16', shape: [1], data: new Float32Array([3]) });
    expect(f.tensors.get('d')).toEqual({ dtype: 'F64', shape: [], data: new Float64Array([4.5]) });
  });

  it('reads from a Uint8Array that is a view at an odd offset', () => {
    const inner = writeSafetensors(new Map([['x', { shape: [3], data: [1, 2, 3] }]]));
    const outer = new Uint8Array(inner.length + 1);
    outer.set(inner, 1);
    expect([...readSafetensors(outer.subarray(1)).tensors.get('x')!.data]).toEqual([1, 2, 3]);
  });


  it('rejects truncated files and oversized header lengths', () => {
    rejects(new Uint8Array(5), /truncated file/);
    const good = writeSafetensors(new Map([['x', { shape: [2], data: [1, 2] }]]));
    rejects(good.subarray(0, 20), /header length \d+ goes beyond the end of the file/);
    rejects(good.subarray(0, good.length - 1), /data_offsets \[0, 8\] go beyond the data section \(7 bytes\)/);
  });

  it('rejects bad JSON and bad entries', () => {
    rejects(file('{"x": ', []), /header is not valid JSON/);
    // V8 quotes the text it could not parse; its line breaks must not break the one-line message.
    rejects(file('xx\nyy\nzz', []), /^safetensors: header is not valid JSON \(Unexpected token 'x', "xx\\nyy\\nzz" is not valid JSON\)$/);
    rejects(file('[1, 2]', []), /header is not a JSON object/);
    // The format wants '{' first: white space before the object is refused too (QA E8).
    rejects(file(`  ${entry({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } })}`, [0, 0, 0, 0]), /^safetensors: the header is not a JSON object \(it must start with '\{', nothing before it\)$/);
    rejects(file(entry({ x: { dtype: 'Q8', shape: [1], data_offsets: [0, 1] } }), [0]), /unknown dtype Q8 \(known: F32, F16, BF16, F64, BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, I32, U32, I64, U64\)/);
    rejects(file(entry({ x: { dtype: 'toString', shape: [1], data_offsets: [0, 1] } }), [0]), /unknown dtype toString/);
    rejects(file(entry({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }), [0, 0, 0, 0]), /invalid shape/);
    rejects(file(entry({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }), [0, 0, 0, 0]), /invalid data_offsets/);
    rejects(file(entry({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }), [0, 0, 0, 0]), /shape \[2\] and dtype F32 needs 8 bytes, data_offsets give 4/);
    rejects(file(entry({ __metadata__: { n: 1 } }), []), /__metadata__ must be an object of strings/);
  });

  it('rejects overlapping tensors', () => {
    const header = entry({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } });
    rejects(file(header, new Array(8).fill(0)), /tensors 'a' and 'b' overlap/);
  });
});

describe('safetensors tensors of the dtypes monc does not read (a state dict with integer counters, boolean masks)', () => {
  // w: F32 (2), step: I64 (), mask: BOOL (3), ids: I32 (2), q: U8 (1), s: I16 (1), f8: F8_E4M3 (2).
  const header = JSON.stringify({
    w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    step: { dtype: 'I64', shape: [], data_offsets: [8, 16] },
    mask: { dtype: 'BOOL', shape: [3], data_offsets: [16, 19] },
    ids: { dtype: 'I32', shape: [2], data_offsets: [19, 27] },
    q: { dtype: 'U8', shape: [1], data_offsets: [27, 28] },
    s: { dtype: 'I16', shape: [1], data_offsets: [28, 30] },
    f8: { dtype: 'F8_E4M3', shape: [2], data_offsets: [30, 32] },
  });
  const data = [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, ...Array.from({ length: 24 }, (_, i) => i)];

  it('readSafetensors reads the others and lists them in skipped', () => {
    const f = readSafetensors(file(header, data));
    expect([...f.tensors.keys()]).toEqual(['w']);
    expect(f.tensors.get('w')!.data).toEqual(new Float32Array([1, -2]));
    expect([...f.skipped]).toEqual([['step', 'I64'], ['mask', 'BOOL'], ['ids', 'I32'], ['q', 'U8'], ['s', 'I16'], ['f8', 'F8_E4M3']]);
  });

  it('decoding one of them is a FormatError that names it and the dtypes read', () => {
    const index = readSafetensorsIndex(file(header, data), 8 + header.length + data.length);
    const step = index.entries.find((e) => e.name === 'step')!;
    expect(() => decodeSafetensorsTensor(step, new Uint8Array(8))).toThrow(FormatError);
    expect(() => decodeSafetensorsTensor(step, new Uint8Array(8))).toThrow(/^safetensors: tensor 'step' is I64; monc reads F32, F16, BF16, F64$/);
  });

  it('their sizes and places are checked as the others are', () => {
    rejects(file(JSON.stringify({ c: { dtype: 'I64', shape: [2], data_offsets: [0, 8] } }), [0, 0, 0, 0, 0, 0, 0, 0]), /shape \[2\] and dtype I64 needs 16 bytes, data_offsets give 8/);
    rejects(file(JSON.stringify({ m: { dtype: 'BOOL', shape: [4], data_offsets: [0, 4] }, w: { dtype: 'F32', shape: [1], data_offsets: [2, 6] } }), [0, 0, 0, 0, 0, 0]), /tensors 'm' and 'w' overlap/);
    rejects(file(JSON.stringify({ u: { dtype: 'U64', shape: [1], data_offsets: [0, 8] } }), [0, 0, 0, 0]), /go beyond the data section \(4 bytes\)/);
  });
});

describe('safetensors writing', () => {
  it('is deterministic: sorted names, packed data, 8-byte aligned header', () => {
    const a = new Map<string, TensorToWrite>([
      ['z.bias', { shape: [2], data: [1, 2] }],
      ['a.weight', { shape: [1, 1], data: [3] }],
    ]);
    const b = new Map([...a].reverse());
    const bytes = writeSafetensors(a, { metadata: { producer: 'monc', a: 'b' } });
    expect(writeSafetensors(b, { metadata: { a: 'b', producer: 'monc' } })).toEqual(bytes);
    const headerLength = new DataView(bytes.buffer).getUint32(0, true);
    expect(headerLength % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    expect(header.trimEnd()).toBe(
      '{"__metadata__":{"a":"b","producer":"monc"},"a.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"z.bias":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}',
    );
    expect([...bytes.subarray(8 + headerLength)]).toEqual([0, 0, 0x40, 0x40, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
  });

  it('writes F16 rounded to half', () => {
    const bytes = writeSafetensors(new Map([['x', { shape: [2], data: [1 + 2 ** -12, -65504] }]]), { dtype: 'F16' });
    const t = readSafetensors(bytes).tensors.get('x')!;
    expect(t.dtype).toBe('F16');
    expect([...t.data]).toEqual([1, -65504]);
  });

  it('rejects a shape that does not match the data', () => {
    expect(() => writeSafetensors(new Map([['x', { shape: [3], data: [1] }]]))).toThrow(/shape \[3\] but 1 values/);
  });

  const tensors = fc.dictionary(
    fc.stringMatching(/^[a-z][a-z0-9_.]{0,12}$/),
    fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }).chain((shape) =>
      fc.record({ shape: fc.constant(shape), data: fc.float32Array({ noNaN: true, minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) }) }),
    ),
    { maxKeys: 6 },
  );
  fcTest.prop([tensors])('round-trips F32 tensors exactly', (dict) => {
    const written = new Map(Object.entries(dict));
    const back = readSafetensors(writeSafetensors(written)).tensors;
    expect([...back.keys()]).toEqual([...written.keys()].sort());
    for (const [name, t] of written) {
      expect(back.get(name)!.shape).toEqual(t.shape);
      expect(back.get(name)!.data).toEqual(t.data);
    }
  });
});

describe('readSafetensors of what is not bytes (from JavaScript)', () => {
  it('is a MoncError of kind user naming what it got', () => {
    for (const [value, got] of [[null, 'null'], [undefined, 'undefined'], ['abc', 'string'], [[1, 2], 'Array']] as const) {
      let thrown: unknown;
      try {
        readSafetensors(value as unknown as Uint8Array);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(MoncError);
      expect(thrown).toMatchObject({ kind: 'user', message: `readSafetensors takes the bytes of a safetensors file (a Uint8Array), got ${got}` });
    }
  });
});

describe('safetensors reading of damaged files', () => {
  // A valid file of three tensors (F32, an I64 counter, F16), then one byte changed or the file cut short.
  const valid = rawSafetensors([
    f32Tensor('w', [2, 3], [1, 2, 3, 4, 5, 6]),
    { name: 'step', dtype: 'I64', shape: [], bytes: new Uint8Array(8).fill(1) },
    { name: 'h', dtype: 'F16', shape: [2], bytes: new Uint8Array([0, 0x3c, 0, 0xc0]) },
  ]);

  fcTest.prop([fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(valid.length)])(
    'a changed byte or a truncation reads or is a FormatError, never another error',
    (at, value, length) => {
      for (const bytes of [Uint8Array.from(valid, (b, i) => (i === at ? value : b)), valid.subarray(0, length)]) {
        try {
          const file = readSafetensors(bytes);
          // What it reads lies inside the file: every tensor's values are its shape's count.
          for (const t of file.tensors.values()) expect(t.data.length).toBe(t.shape.reduce((p, d) => p * d, 1));
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
      }
    },
  );
});
