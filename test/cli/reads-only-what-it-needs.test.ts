/**
 * What the CLI reads of a large file (issue 13): a .npy file's header before its data, and only the tensors asked for of
 * a safetensors file of 3 GiB. Proved by counting the bytes read (node:fs's reads, wrapped), not by a wall-clock bound:
 * those failed under load (s26 OPEN-b) and said nothing about a read that is merely fast (sparse files read as zeros).
 */
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { writeNpy } from '../../src/runtime/formats/npy.js';
import { readSafetensors } from '../../src/runtime/formats/safetensors.js';
import { cli, scratchDir } from './helpers.js';

const read = vi.hoisted(() => ({ bytes: 0 }));

vi.mock('node:fs', async (original) => {
  const actual = await original<typeof import('node:fs')>();
  return {
    ...actual,
    readSync: ((...args: Parameters<typeof actual.readSync>) => {
      const n = actual.readSync(...args);
      read.bytes += n;
      return n;
    }) as typeof actual.readSync,
    readFileSync: ((...args: Parameters<typeof actual.readFileSync>) => {
      const data = actual.readFileSync(...args);
      read.bytes += data.length;
      return data;
    }) as typeof actual.readFileSync,
  };
});

const KiB = 1024;
const scratch = scratchDir();
const spec = scratch.path('reads.mon');
const params = scratch.path('m.safetensors');
const input = scratch.path('x.npy');

beforeAll(async () => {
  writeFileSync(spec, 'module reads\nmap m : 8 -> 8 = monarch(nblocks: 2)\n');
  writeFileSync(input, writeNpy(new Float32Array(16).fill(1), [2, 8]));
  expect((await cli(['init', spec, '--map', 'm', '--out', params])).code).toBe(0);
});
beforeEach(() => {
  read.bytes = 0;
});
afterAll(() => scratch.remove());

const run = (overrides: { params?: string; input?: string }) =>
  cli(['run', spec, '--map', 'm', '--params', overrides.params ?? params, '--input', overrides.input ?? input, '--out', scratch.path('y.npy'), '--backend', 'cpu']);

it('a .npy file longer than its header says is refused from the header alone', async () => {
  const long = scratch.path('long.npy');
  writeFileSync(long, writeNpy(new Float32Array(16), [2, 8]));
  truncateSync(long, 512 * 1024 * KiB);
  const r = await run({ input: long });
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(/^monc: error: [^\n]*long\.npy: npy: \d+ bytes of trailing data after the array\n$/);
  // The spec, the parameters and the first 64 KiB of the .npy file (readFileBounded's head), of its 512 MiB.
  expect(read.bytes).toBeGreaterThan(64 * KiB);
  expect(read.bytes).toBeLessThan(80 * KiB);
});

it('reads only the tensors it needs from a safetensors file of 3 GiB (a state dict), and refuses one over 2 GiB', async () => {
  const big = scratch.path('state-dict.safetensors');
  const own = readSafetensors(readFileSync(params));
  const entries: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of own.tensors) {
    entries[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  const hugeBytes = 3 * 2 ** 30;
  entries['layers.0.huge'] = { dtype: 'F32', shape: [hugeBytes / 4], data_offsets: [offset, offset + hugeBytes] };
  const header = Buffer.from(JSON.stringify(entries).padEnd(8 * Math.ceil(JSON.stringify(entries).length / 8), ' '));
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(header.length));
  const data = Buffer.concat([...own.tensors.values()].map((t) => Buffer.from(Float32Array.from(t.data).buffer)));
  writeFileSync(big, Buffer.concat([head, header, data]));
  truncateSync(big, 8 + header.length + offset + hugeBytes); // sparse: no disk, but 3 GiB long
  read.bytes = 0;
  const r = await run({ params: big });
  expect(r.code, r.stderr).toBe(0);
  // The spec, the input, the state dict's header and its map's tensors: a few KiB of its 3 GiB.
  expect(read.bytes).toBeLessThan(80 * KiB);

  const w = scratch.path('huge.mon');
  writeFileSync(w, 'module hugeproj\nmap m : 8 -> 8 = dense()\n');
  read.bytes = 0;
  const refused = await cli(['project', w, '--map', 'm', '--dense', big, '--tensor', 'layers.0.huge', '--out', scratch.path('never.safetensors')]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/^monc: error: [^\n]*state-dict\.safetensors: the tensors asked for take 3 GiB, over the limit of 2 GiB monc reads at once\n$/);
  expect(read.bytes).toBeLessThan(80 * KiB);
});
