/**
 * `monc train` in place keeps every other tensor of the file, whatever its name (REV s24 2): a tensor
 * named `__proto__` (a valid safetensors name) was assigned into a plain object's header, which set
 * the object's prototype instead, and left the tensor out of the file written; writeSafetensors
 * (the map's own tensors, and the API's writer) built its header the same way.
 *
 * And it reads of the file only its header (session 25, OPEN-c): the other tensors are copied from it
 * as the file is written, so a state dict over the 2 GiB monc reads at once trains in place too.
 */
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { readSafetensorsHeader } from '../../src/cli/data-files.js';
import { withTensorsReplaced } from '../../src/cli/replace-tensors.js';
import { writeAtomic } from '../../src/cli/files.js';
import { readSafetensors, readSafetensorsIndex, writeSafetensors } from '../../src/runtime/formats/safetensors.js';
import { f32Tensor, rawSafetensors, type RawTensor } from '../support/raw-safetensors.js';
import { scratchDir } from './helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());

const names = (bytes: Uint8Array) => readSafetensorsIndex(bytes, bytes.length).entries.map((e) => e.name);

/** `original`'s file with `trained`'s tensors in place of its own, written to another file through the ranges. */
async function replaced(name: string, original: Uint8Array, trained: Uint8Array): Promise<Uint8Array> {
  const from = scratch.path(`${name}.safetensors`);
  writeFileSync(from, original);
  const out = scratch.path(`${name}-out.safetensors`);
  await writeAtomic(out, withTensorsReplaced(await readSafetensorsHeader(from), trained));
  return readFileSync(out);
}

it('a kept tensor named __proto__ stays in the file', async () => {
  const original = rawSafetensors([f32Tensor('__proto__', [1], [1]), f32Tensor('w', [1], [2])]);
  const trained = writeSafetensors(new Map([['w', { shape: [1], data: [9] }]]));
  expect(names(await replaced('proto', original, trained))).toEqual(['__proto__', 'w']);
});

it('writeSafetensors writes a tensor named __proto__', () => {
  expect(names(writeSafetensors(new Map([['__proto__', { shape: [1], data: [1] }], ['w', { shape: [1], data: [2] }]])))).toEqual(['__proto__', 'w']);
});

it('copies the other tensors, of any dtype and size, byte for byte around the replaced ones', async () => {
  // A kept tensor over the 16 MiB the copy goes through at a time, at an offset that is no multiple of 8, beside an I64.
  const bigBytes = new Uint8Array(16 * 1024 * 1024 + 5);
  for (let i = 0; i < bigBytes.length; i++) bigBytes[i] = (i * 7) % 251;
  const big: RawTensor = { name: 'big', dtype: 'U8', shape: [bigBytes.length], bytes: bigBytes };
  const counter: RawTensor = { name: 'steps', dtype: 'I64', shape: [1], bytes: Uint8Array.of(3, 0, 0, 0, 0, 0, 0, 0) };
  const original = rawSafetensors([{ name: 'flag', dtype: 'BOOL', shape: [3], bytes: Uint8Array.of(1, 0, 1) }, big, f32Tensor('w', [2], [1, 2]), counter]);
  const trained = writeSafetensors(new Map([['w', { shape: [2], data: [5, 6] }]]));
  const out = await replaced('sizes', original, trained);
  const index = readSafetensorsIndex(out, out.length);
  expect(index.entries.map((e) => [e.name, e.dtype])).toEqual([['flag', 'BOOL'], ['big', 'U8'], ['w', 'F32'], ['steps', 'I64']]);
  const bytesOf = (name: string) => { const e = index.entries.find((t) => t.name === name)!; return out.subarray(index.dataStart + e.begin, index.dataStart + e.end); };
  expect(Buffer.compare(bytesOf('big'), big.bytes)).toBe(0);
  expect([...bytesOf('flag')]).toEqual([1, 0, 1]);
  expect([...bytesOf('steps')]).toEqual([...counter.bytes]);
  expect(readSafetensors(out).tensors.get('w')!.data).toEqual(Float32Array.of(5, 6));
});

it('refuses a file changed after its header was read, writing nothing', async () => {
  const from = scratch.path('changed.safetensors');
  writeFileSync(from, rawSafetensors([f32Tensor('other', [2], [1, 2]), f32Tensor('w', [1], [3])]));
  const pieces = withTensorsReplaced(await readSafetensorsHeader(from), writeSafetensors(new Map([['w', { shape: [1], data: [9] }]])));
  appendFileSync(from, 'x');
  const before = readFileSync(from);
  await expect(writeAtomic(from, pieces)).rejects.toThrow(`cannot write '${from}': '${from}', which it copies bytes of, was changed or replaced while this command ran`);
  expect(Buffer.compare(readFileSync(from), before)).toBe(0);
  expect(readdirSync(scratch.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
});
