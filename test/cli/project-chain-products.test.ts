/**
 * A chain of sum stages is projected by expanding it into the products of one term per stage (projection.md), up to 64
 * of them; more is the one refusal left for such chains (REV s25 4: nothing in the suite reached it). Seven stages of
 * two terms are 128 products: refused before any fit, naming the map; six are 64, projected.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { writeNpy } from '../../src/runtime/formats/npy.js';
import { cli, cliJson, scratchDir } from './helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());

it("a chain whose sum stages expand to more than 64 products is refused (kind projection, exit 1); 64 are projected", async () => {
  const stage = '(dense(in: 8, out: 8) + lowrank(rank: 1, in: 8, out: 8))';
  const spec = scratch.path('stages.mon');
  writeFileSync(spec, `map s : 8 -> 8 = ${Array(7).fill(stage).join(' @ ')}\nmap t : 8 -> 8 = ${Array(6).fill(stage).join(' @ ')}\n`);
  const w = scratch.path('w.npy');
  writeFileSync(w, writeNpy(Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)), [8, 8]));
  const refused = await cli(['project', spec, '--map', 's', '--dense', w, '--out', scratch.path('s.safetensors')]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toBe("monc: error: cannot project onto 's': its sums inside a chain expand to more than 64 products\n");
  const projected = await cliJson(['project', spec, '--map', 't', '--dense', w, '--out', scratch.path('t.safetensors')]);
  expect(projected.method).toMatch(/^64 products/);
  expect(projected.relative_error).toBeLessThan(1e-3);
});
