import { fc, test } from '@fast-check/vitest';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/util/sha256.js';

const nodeSha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('sha256Hex', () => {
  it('gives the FIPS 180-4 test vectors', () => {
    expect(sha256Hex(new Uint8Array())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  // Lengths around the padding boundaries (55, 56, 63, 64 bytes) are where a length field goes wrong.
  test.prop([fc.uint8Array({ minLength: 0, maxLength: 300 })])('equals node:crypto on any bytes', (bytes) => {
    expect(sha256Hex(bytes)).toBe(nodeSha256(bytes));
  });

  it('equals node:crypto on a 2^20-block pattern’s 8 MiB', () => {
    const bytes = new Uint8Array(8 << 20).map((_, i) => (i * 7919 + 13) & 255);
    expect(sha256Hex(bytes)).toBe(nodeSha256(bytes));
  });
});
