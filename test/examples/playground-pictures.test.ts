/**
 * The playground's structure pictures (examples/playground/src/structure-pictures.ts): every
 * parameter tensor of a map is drawn, including a chain through a sum of weighted terms, which has
 * no single factor list (QA2 s9 B2: such a term got a projection message instead of pictures), and
 * a chain whose stage carries a bias notes that vector (session 11: such chains project).
 */
import { describe, expect, it } from 'vitest';
import { factorPictures } from '../../examples/playground/src/structure-pictures.js';
import { checkSource } from '../../src/dsl/index.js';
import { modelOf } from '../../src/model/build.js';

const SPEC = `module pg
dtype f16
map b : 12 -> 20 = lowrank(rank: 3) + bias()
map c : 12 -> 20 = b @ dense(in: 12, out: 12) + sparse(block: 4, pattern: band(width: 2))
map e : 12 -> 20 = lowrank(rank: 3) + sparse(block: 4, pattern: band(width: 2))
map f : 12 -> 20 = e @ dense(in: 12, out: 12)
`;

describe('playground factor pictures', () => {
  it.each([
    ['c', /b\.1\.bias: a vector of 20/, /chain through a sum/],
    ['f', /chain through a sum, drawn stage by stage/, /a vector/],
  ])('map %s: every entry of each tensor drawn once, biases noted', (name, noted, notNoted) => {
    const { module, diagnostics } = checkSource(SPEC, 'pg.mon');
    expect(diagnostics).toEqual([]);
    const map = module!.maps.find((m) => m.name === name)!;
    const model = modelOf(map);
    const params = new Map<string, Float32Array>();
    const size = (p: { shape: readonly number[] }) => p.shape.reduce((a, b) => a * b, 1);
    for (const p of model.params) params.set(p.name, Float32Array.from({ length: size(p) }, (_, i) => i + 1));
    const { pictures, notes } = factorPictures(model, params);
    const drawn = new Map<string, number>();
    for (const pic of pictures) {
      const tensor = pic.caption.split(' of ')[1];
      let count = 0;
      pic.entries(() => count++);
      drawn.set(tensor, (drawn.get(tensor) ?? 0) + count);
    }
    for (const p of model.params) {
      if (p.name.endsWith('bias')) continue; // a vector, noted instead
      expect(drawn.get(p.name), p.name).toBe(size(p));
    }
    expect(notes.join('\n')).not.toMatch(/cannot project/);
    // A chain whose stage is one weighted term plus a bias is one product of factors (its bias noted);
    // a chain through a sum of weighted terms is drawn stage by stage.
    expect(notes.join('\n')).toMatch(noted);
    expect(notes.join('\n')).not.toMatch(notNoted);
  });
});
