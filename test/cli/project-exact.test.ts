/** Regression (issue 13): a random Monarch saved as float64 .npy projects exactly through the CLI, and `optimal` holds. */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { readSafetensors } from '../../src/runtime/formats/safetensors.js';
import { denseOf, monarch, randomParams } from '../project/structures.js';
import { cliJson, scratchDir } from './helpers.js';
import { npyF64 } from '../support/npy-f64.js';
import { referenceDense } from '../support/reference.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());

it('monc project of a random Monarch 1024 saved as <f8: exact (≤ 1e-5) and optimal', async () => {
  const n = 1024;
  const s = monarch(n, n, 32, 'm');
  const w = denseOf(s, randomParams(s, 21));
  writeFileSync(scratch.path('w.npy'), npyF64(w, [n, n]));
  writeFileSync(scratch.path('m.mon'), 'module exact\nmap m : 1024 -> 1024 = monarch(nblocks: 32)\n');
  const out = await cliJson(['project', scratch.path('m.mon'), '--map', 'm', '--dense', scratch.path('w.npy'), '--out', scratch.path('p.safetensors')]);
  expect(out.optimal).toBe(true);
  expect(out.relative_error).toBeLessThanOrEqual(1e-5);
  // Independently: the written float32 parameters through the float64 reference.
  const file = readSafetensors(readFileSync(scratch.path('p.safetensors')));
  const params = new Map([...file.tensors].map(([name, t]) => [name, t.data]));
  const m = referenceDense(s, params);
  let d2 = 0;
  let w2 = 0;
  for (let i = 0; i < w.length; i++) {
    d2 += (m[i] - w[i]) ** 2;
    w2 += w[i] ** 2;
  }
  expect(Math.sqrt(d2 / w2)).toBeLessThanOrEqual(1e-5);
});
