import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { checkSource, mulberry32, randomBlocks, type Structure } from '../../src/dsl/index.js';

/** A constructor text with the (in, out) it must be inferred to have. */
interface Factor {
  readonly text: string;
  readonly in: number;
  readonly out: number;
  readonly kind: Structure['kind'];
}

const small = fc.integer({ min: 1, max: 12 });

/** Constructors of a given shape, sizes from context (no in:/out:), non powers of two where allowed. */
const factorOf = (n: number, m: number): fc.Arbitrary<Factor> => {
  const options: fc.Arbitrary<Factor>[] = [fc.constant({ text: 'dense()', in: n, out: m, kind: 'dense' as const })];
  const rankMax = Math.min(n, m) - 1;
  if (rankMax >= 1) options.push(fc.integer({ min: 1, max: rankMax }).map((r) => ({ text: `lowrank(rank: ${r})`, in: n, out: m, kind: 'lowrank' as const })));
  const common = divisors(gcd(n, m));
  options.push(fc.constantFrom(...common).map((k) => ({ text: `blockdiag(nblocks: ${k})`, in: n, out: m, kind: 'blockdiag' as const })));
  options.push(fc.constantFrom(...common).map((k) => ({ text: `monarch(nblocks: ${k})`, in: n, out: m, kind: 'monarch' as const })));
  options.push(
    fc.tuple(fc.constantFrom(...divisors(m)), fc.constantFrom(...divisors(n)), fc.integer({ min: 1, max: 4 })).map(([bh, bw, w]) => ({
      text: `sparse(block: [${bh}, ${bw}], pattern: band(width: ${w}))`,
      in: n,
      out: m,
      kind: 'sparse' as const,
    })),
  );
  return fc.oneof(...options);
};

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function divisors(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
}

const shape = fc.tuple(small, small, small, small).map(([a, b, c, d]) => ({ n: a * b, m: c * d }));

describe('random valid specs check, with the inferred shapes and paths', () => {
  test.prop([shape.chain(({ n, m }) => fc.tuple(fc.constant({ n, m }), fc.array(factorOf(n, m), { minLength: 1, maxLength: 4 })))], { numRuns: 150 })(
    'sums of constructors',
    ([{ n, m }, terms]) => {
      const src = `const n = ${n}\nconst m = ${m}\nmap x : n -> m = ${terms.map((t) => t.text).join(' + ')}`;
      const { module, diagnostics } = checkSource(src, 'p.mon');
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const s = module!.maps[0].structure;
      const leaves = s.kind === 'sum' ? s.terms : [s];
      expect(leaves.map((l) => [l.kind, l.in, l.out, l.path])).toEqual(
        terms.map((t, i) => [t.kind, t.in, t.out, terms.length === 1 ? 'x' : `x.${i}`]),
      );
    },
  );

  test.prop([fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 3, maxLength: 6 }), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 })], { numRuns: 150 })(
    'chains take interior sizes from their neighbours',
    (sizes, useBlockdiag) => {
      // sizes[0] is the map's input; factor j (applied j-th) maps sizes[j] -> sizes[j+1]; only out: is written.
      const count = sizes.length - 1;
      const applied = Array.from({ length: count }, (_, j) => {
        const last = j === count - 1;
        const out = last ? '' : `out: ${sizes[j + 1]}`;
        const k = gcd(sizes[j], sizes[j + 1]);
        const text = useBlockdiag[j] ? `blockdiag(nblocks: ${k}${out ? `, ${out}` : ''})` : `dense(${out})`;
        return { text, in: sizes[j], out: sizes[j + 1] };
      });
      const written = [...applied].reverse();
      const src = `map x : ${sizes[0]} -> ${sizes[count]} = ${written.map((f) => f.text).join(' @ ')}`;
      const { module, diagnostics } = checkSource(src, 'p.mon');
      expect(diagnostics).toEqual([]);
      const s = module!.maps[0].structure;
      if (s.kind !== 'chain') throw new Error('chain expected');
      expect(s.factors.map((f) => [f.in, f.out, f.path])).toEqual(written.map((f, i) => [f.in, f.out, `x.${i}`]));
    },
  );

  test.prop([fc.integer({ min: 2, max: 7 }), fc.integer({ min: 1, max: 5 })], { numRuns: 60 })('butterfly and monarch(order) sizes', (radix, levels) => {
    const n = radix ** levels;
    const { module, diagnostics } = checkSource(`map b : ${n} -> ${n} = butterfly(radix: ${radix})\nmap o : ${n} -> ${n} = monarch(order: ${levels})`, 'p.mon');
    expect(diagnostics).toEqual([]);
    expect(module!.maps[0].structure).toMatchObject({ kind: 'butterfly', radix, levels });
    expect(module!.maps[1].structure).toMatchObject({ kind: 'monarch_order', radices: Array(levels).fill(radix) });
  });
});

describe('random(density, seed)', () => {
  /** mulberry32 as commonly published (Tommy Ettinger), as an independent oracle. */
  function published(seed: number): () => number {
    let a = seed;
    return () => {
      let t = (a += 0x6d2b79f5);
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (t ^ (t >>> 14)) >>> 0;
    };
  }

  it('mulberry32 matches the published generator', () => {
    for (const seed of [0, 1, 42, 2147483647]) {
      const mine = mulberry32(seed);
      const theirs = published(seed);
      for (let i = 0; i < 100; i++) expect(mine()).toBe(theirs());
    }
  });

  test.prop([fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 1000 }), fc.nat()], { numRuns: 200 })(
    'picks max(1, round(density · total)) distinct blocks in row-major order, deterministically',
    (rows, cols, permille, seed) => {
      const density = { num: BigInt(permille), den: 1000n };
      const blocks = randomBlocks(rows, cols, density, seed);
      const expected = Math.max(1, Math.floor((permille * rows * cols) / 1000 + 0.5));
      expect(blocks).toHaveLength(expected);
      const flat = blocks.map(([i, j]) => i * cols + j);
      expect(flat.every((x, k) => x >= 0 && x < rows * cols && (k === 0 || flat[k - 1] < x))).toBe(true);
      expect(randomBlocks(rows, cols, density, seed)).toEqual(blocks);
    },
  );

  it('rounds half up from the decimal as written, and different seeds differ', () => {
    // 0.15 · 10 = 1.5 exactly: 2 blocks (a float product would give 1.4999…).
    const src = (d: string, seed: number) => `map f : 10 -> 1 = sparse(block: 1, pattern: random(density: ${d}, seed: ${seed}))`;
    const blocks = (d: string, seed: number) => {
      const s = checkSource(src(d, seed), 'r.mon').module!.maps[0].structure;
      return s.kind === 'sparse' ? s.blocks : [];
    };
    expect(blocks('0.15', 1)).toHaveLength(2);
    expect(blocks('0.5', 1)).not.toEqual(blocks('0.5', 2));
    expect(blocks('1', 7)).toHaveLength(10);
  });
});
