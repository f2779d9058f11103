/**
 * A safetensors file whose header length fits but whose header is not a JSON object starting with
 * '{' (QA E8: an array, a string, a number, null, or an object after white space or a byte-order
 * mark) is named as that, not as a header length beyond the end of the file; a length that does
 * go beyond still says so.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, scratchDir } from './helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());
const spec = scratch.path('s.mon');
writeFileSync(spec, 'map f : 3 -> 2 = dense()\n');

/** The 8-byte header length, the header, 24 data bytes. */
function file(header: Uint8Array, length = header.length): Uint8Array {
  const out = new Uint8Array(8 + header.length + 24);
  new DataView(out.buffer).setBigUint64(0, BigInt(length), true);
  out.set(header, 8);
  return out;
}
const text = (s: string) => new TextEncoder().encode(s);
const OBJECT = '{"f.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}';

async function denseError(bytes: Uint8Array): Promise<string> {
  const path = scratch.path('p.safetensors');
  writeFileSync(path, bytes);
  const r = await cli(['dense', spec, '--map', 'f', '--params', path, '--out', scratch.path('w.npy')]);
  expect(r.code).toBe(1);
  return r.stderr.replace(`${path}: `, '');
}

describe('a safetensors header that is not a JSON object', () => {
  const notObject = "monc: error: safetensors: the header is not a JSON object (it must start with '{', nothing before it): not a safetensors file\n";
  it.each([
    ['an array', text('[1,2]')],
    ['a string', text('"abc"')],
    ['a number', text('123')],
    ['null', text('null')],
    ['an object after spaces', text(`  ${OBJECT}`)],
    ['an object after a byte-order mark', new Uint8Array([0xef, 0xbb, 0xbf, ...text(OBJECT)])],
  ])('%s', async (_name, header) => {
    expect(await denseError(file(header))).toBe(notObject);
  });

  it('a header length beyond the end of the file still says so', async () => {
    expect(await denseError(file(text(OBJECT), 1000))).toBe(`monc: error: safetensors: header length 1000 goes beyond the end of the file (${8 + OBJECT.length + 24} bytes): not a safetensors file\n`);
  });

  it('the object itself loads', async () => {
    const path = scratch.path('ok.safetensors');
    writeFileSync(path, file(text(OBJECT)));
    expect((await cli(['dense', spec, '--map', 'f', '--params', path, '--out', scratch.path('w.npy')])).code).toBe(0);
  });
});
