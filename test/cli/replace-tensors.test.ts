/**
 * `monc train` in place keeps every other tensor of the file, whatever its name (REV s24 2): a tensor
 * named `__proto__` (a valid safetensors name) was assigned into a plain object's header, which set
 * the object's prototype instead, and left the tensor out of the file written; writeSafetensors
 * (the map's own tensors, and the API's writer) built its header the same way.
 */
import { expect, it } from 'vitest';
import { withTensorsReplaced } from '../../src/cli/replace-tensors.js';
import { readSafetensorsIndex, writeSafetensors } from '../../src/runtime/formats/safetensors.js';
import { f32Tensor, rawSafetensors } from '../support/raw-safetensors.js';

const names = (bytes: Uint8Array) => readSafetensorsIndex(bytes, bytes.length).entries.map((e) => e.name);

it('a kept tensor named __proto__ stays in the file', () => {
  const original = rawSafetensors([f32Tensor('__proto__', [1], [1]), f32Tensor('w', [1], [2])]);
  const trained = writeSafetensors(new Map([['w', { shape: [1], data: [9] }]]));
  expect(names(withTensorsReplaced(original, trained))).toEqual(['__proto__', 'w']);
});

it('writeSafetensors writes a tensor named __proto__', () => {
  expect(names(writeSafetensors(new Map([['__proto__', { shape: [1], data: [1] }], ['w', { shape: [1], data: [2] }]])))).toEqual(['__proto__', 'w']);
});
