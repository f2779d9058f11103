/**
 * readInPieces (src/runtime/pipelined-forward.ts): a one-piece forward pass's result copied out of
 * its readback buffer in pieces of the plan's readBytes. On a stand-in buffer that enforces
 * WebGPU's mapping rules (a view only inside the mapped range, detached at unmap, mapAsync only
 * while unmapped, offsets multiples of 8): every value arrives, f32 and f16, at counts that end
 * inside a piece, on a piece boundary, below one piece and at 0; no view is larger than a piece,
 * each is detached (unmapped) before the next mapping, and the buffer ends unmapped.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { f32ArrayToF16 } from '../../src/runtime/formats/f16.js';
import { HOST_PIPELINE, readInPieces } from '../../src/runtime/pipelined-forward.js';

/** A MAP_READ buffer over `bytes`, mapped whole at first (as the round trip leaves it). */
function standIn(bytes: Uint8Array) {
  let mapped: [number, number] | undefined = [0, bytes.length];
  const views: ArrayBuffer[] = [];
  const log = { largestView: 0, mappings: 1 };
  const buffer = {
    get mapState() {
      return mapped ? 'mapped' : 'unmapped';
    },
    async mapAsync(_mode: number, offset: number, size: number) {
      if (mapped) throw new Error('mapAsync on a mapped buffer');
      if (offset % 8 !== 0 || size % 4 !== 0 || offset + size > bytes.length) throw new Error(`bad range ${offset}+${size}`);
      log.mappings++;
      mapped = [offset, offset + size];
    },
    getMappedRange(offset: number, size: number) {
      if (!mapped || offset < mapped[0] || offset + size > mapped[1]) throw new Error(`range ${offset}+${size} is not mapped`);
      // A copy stands in for the mapped memory; structuredClone's transfer detaches it at unmap.
      const view = bytes.slice(offset, offset + size).buffer;
      views.push(view);
      log.largestView = Math.max(log.largestView, size);
      return view;
    },
    unmap() {
      for (const v of views.splice(0)) structuredClone(v, { transfer: [v] });
      mapped = undefined;
    },
  };
  return { buffer: buffer as unknown as GPUBuffer, log, state: () => buffer.mapState };
}

const never = new Promise<never>(() => undefined);

function values(count: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => (i % 97) / 8 - 5);
}

/** `count` values in the storage type, padded as the runtime pads buffers (16 bytes). */
function stored(v: Float32Array, storage: 'f32' | 'f16'): Uint8Array {
  const raw = storage === 'f32' ? new Uint8Array(v.buffer.slice(0)) : new Uint8Array(f32ArrayToF16(v).buffer);
  const padded = new Uint8Array(Math.max(16, Math.ceil(raw.length / 16) * 16));
  padded.set(raw);
  return padded;
}

describe('readInPieces', () => {
  test.prop([fc.integer({ min: 0, max: 200 }), fc.constantFrom(16, 48, 64, 400), fc.constantFrom<'f32' | 'f16'>('f32', 'f16'), fc.boolean()])(
    'copies every value, in views of at most one piece, each detached before the next mapping',
    async (count, readBytes, storage, withOut) => {
      const want = values(count);
      const { buffer, log, state } = standIn(stored(want, storage));
      const out = withOut ? new Float32Array(count).fill(NaN) : undefined;
      const y = await readInPieces(buffer, count, storage, never, 'm', out, { ...HOST_PIPELINE, readBytes });
      if (out) expect(y).toBe(out);
      expect(Array.from(y)).toEqual(Array.from(want));
      expect(log.largestView).toBeLessThanOrEqual(readBytes);
      expect(log.mappings).toBe(Math.max(1, Math.ceil((count * (storage === 'f32' ? 4 : 2)) / readBytes)));
      expect(state()).toBe('unmapped');
    },
  );

  it('reads all at once with readBytes Infinity, and by default in pieces of 8 MiB', async () => {
    expect(HOST_PIPELINE.readBytes).toBe(8 << 20);
    const want = values(1000);
    const { buffer, log } = standIn(stored(want, 'f32'));
    expect(Array.from(await readInPieces(buffer, 1000, 'f32', never, 'm', undefined, { ...HOST_PIPELINE, readBytes: Infinity }))).toEqual(Array.from(want));
    expect(log).toMatchObject({ mappings: 1, largestView: 4000 });
  });

  it('rejects with the device loss when a later piece cannot be mapped', async () => {
    const { buffer } = standIn(stored(values(64), 'f32'));
    const lost = Promise.reject(new Error('lost'));
    lost.catch(() => undefined);
    const stalled = { ...buffer, getMappedRange: buffer.getMappedRange.bind(buffer), unmap: buffer.unmap.bind(buffer), mapAsync: () => new Promise<undefined>(() => undefined) } as unknown as GPUBuffer;
    await expect(readInPieces(stalled, 64, 'f32', lost, 'm', undefined, { ...HOST_PIPELINE, readBytes: 64 })).rejects.toThrow('lost');
  });
});
