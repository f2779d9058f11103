import { describe, expect, it } from 'vitest';
import { checkSource, denseCost, paramsOf, parse, structureCost, type CheckedModule, type Structure } from '../../src/dsl/index.js';
import { specExample } from './spec-example.js';
import { baseName } from '../../src/util/base-name.js';

function check(source: string, file = 'spec.mon'): CheckedModule {
  const { module, diagnostics } = checkSource(source, file);
  expect(diagnostics).toEqual([]);
  return module!;
}

const mapOf = (m: CheckedModule, name: string) => m.maps.find((x) => x.name === name)!;
const params = (s: Structure) => Object.fromEntries(paramsOf(s).map((p) => [p.name, p.shape]));

describe('the SPEC §3 example', () => {
  const m = check(specExample, 'examples/ffn.mon');

  it('checks with no diagnostics, with the declared header', () => {
    expect(m.name).toBe('ffn');
    expect(m.dtype).toBe('f32');
    expect(m.consts).toEqual({ d: 1024, h: 4096 });
    expect(m.maps.map((x) => [x.name, x.in, x.out])).toEqual([
      ['up', 1024, 4096],
      ['down', 4096, 1024],
      ['mixer', 1024, 1024],
      ['deep', 4096, 4096],
      ['adapt', 1024, 1024],
      ['pf', 1024, 1024],
      ['chain', 1024, 1024],
      ['raw', 1024, 1024],
    ]);
  });

  it('names parameters as SPEC §4 says', () => {
    expect(params(mapOf(m, 'up').structure)).toEqual({ 'up.blkdiag1': [4, 256, 256], 'up.blkdiag2': [4, 1024, 256] });
    expect(params(mapOf(m, 'down').structure)).toEqual({
      'down.0.blkdiag1': [4, 256, 1024],
      'down.0.blkdiag2': [4, 256, 256],
      'down.1.bias': [1024],
    });
    expect(params(mapOf(m, 'mixer').structure)).toEqual({ 'mixer.twiddle': [10, 512, 2, 2] });
    expect(params(mapOf(m, 'deep').structure)).toEqual({ 'deep.factor0': [256, 16, 16], 'deep.factor1': [256, 16, 16], 'deep.factor2': [256, 16, 16] });
    expect(params(mapOf(m, 'pf').structure)).toEqual({ 'pf.0.values': [96, 32, 32], 'pf.1.U': [1024, 32], 'pf.1.V': [32, 1024] });
    expect(params(mapOf(m, 'raw').structure)).toEqual({ 'raw.1.weight': [32, 32, 32], 'raw.3.weight': [32, 32, 32] });
    // Weight tying: chain uses down's and up's own tensors.
    expect(Object.keys(params(mapOf(m, 'chain').structure))).toEqual(['down.0.blkdiag1', 'down.0.blkdiag2', 'down.1.bias', 'up.blkdiag1', 'up.blkdiag2']);
  });

  it('resolves monarch forms, the bias shape and references', () => {
    expect(mapOf(m, 'up').structure).toMatchObject({ kind: 'monarch', nblocks: 4, p: 256, q: 256, r: 256, s: 1024 });
    const down = mapOf(m, 'down').structure;
    expect(down).toMatchObject({ kind: 'sum', path: 'down' });
    if (down.kind !== 'sum') throw new Error('sum expected');
    expect(down.terms[0]).toMatchObject({ kind: 'monarch', p: 1024, q: 256, r: 256, s: 256, path: 'down.0' });
    expect(down.terms[1]).toMatchObject({ kind: 'bias', in: 4096, out: 1024, path: 'down.1' });
    expect(mapOf(m, 'deep').structure).toMatchObject({ kind: 'monarch_order', radices: [16, 16, 16] });
    const chain = mapOf(m, 'chain').structure;
    if (chain.kind !== 'chain') throw new Error('chain expected');
    expect(chain.factors.map((f) => [f.kind, f.path, f.in, f.out])).toEqual([
      ['ref', 'down', 4096, 1024],
      ['ref', 'up', 1024, 4096],
    ]);
  });

  it('counts parameters and FLOPs per row', () => {
    const up = structureCost(mapOf(m, 'up').structure);
    expect(up.params).toBe(4 * 256 * 256 + 4 * 1024 * 256);
    expect(up.flopsPerRow).toBe(2 * up.params);
    const down = structureCost(mapOf(m, 'down').structure);
    expect(down.flopsPerRow).toBe(2 * (4 * 256 * 1024 + 4 * 256 * 256) + 1024);
    expect(structureCost(mapOf(m, 'raw').structure)).toEqual({ params: 2 * 32 ** 3, flopsPerRow: 4 * 32 ** 3 });
    expect(structureCost(mapOf(m, 'mixer').structure)).toEqual({ params: 10 * 512 * 4, flopsPerRow: 2 * 10 * 1024 * 2 });
    const chain = structureCost(mapOf(m, 'chain').structure);
    expect(chain.flopsPerRow).toBe(up.flopsPerRow + down.flopsPerRow);
    expect(denseCost(1024, 4096)).toEqual({ params: 4096 * 1024, flopsPerRow: 2 * 4096 * 1024 });
  });
});

describe('paths', () => {
  const pathsOf = (s: Structure): string[] => {
    switch (s.kind) {
      case 'sum':
        return [s.path, ...s.terms.flatMap(pathsOf)];
      case 'chain':
        return [s.path, ...s.factors.flatMap(pathsOf)];
      default:
        return [s.path];
    }
  };
  const paths = (expr: string) => pathsOf(check(`map x : 16 -> 16 = ${expr}`).maps[0].structure);

  it('n-ary sums and chains are one level; parentheses group', () => {
    expect(paths('dense() + dense() + dense()')).toEqual(['x', 'x.0', 'x.1', 'x.2']);
    expect(paths('butterfly() @ butterfly() @ butterfly()')).toEqual(['x', 'x.0', 'x.1', 'x.2']);
    expect(paths('butterfly() @ (butterfly() @ butterfly())')).toEqual(['x', 'x.0', 'x.1', 'x.1.0', 'x.1.1']);
    expect(paths('(butterfly() @ butterfly()) @ butterfly()')).toEqual(['x', 'x.0', 'x.0.0', 'x.0.1', 'x.1']);
    expect(paths('((dense()))')).toEqual(['x']);
    expect(paths('dense() + lowrank(rank: 2) @ dense(out: 8)')).toEqual(['x', 'x.0', 'x.1', 'x.1.0', 'x.1.1']);
  });

  it('the AST keeps @ tighter than +', () => {
    const { ast, diagnostics } = parse('map x : 4 -> 4 = a + b @ c + (d + e)', 'p.mon');
    expect(diagnostics).toEqual([]);
    const map = ast.statements[0];
    if (map.kind !== 'map' || map.expr.kind !== 'sum') throw new Error('sum expected');
    expect(map.expr.terms.map((t) => t.kind)).toEqual(['mapref', 'chain', 'sum']);
    expect(map.expr.span.start.column).toBe(18);
  });
});

describe('shape inference', () => {
  const structure = (src: string) => check(src).maps[0].structure;

  it('interior sizes of chains come from factors with known shapes', () => {
    const s = structure('map f : 12 -> 12 = dense() @ transpose(3, 4) @ dense()');
    if (s.kind !== 'chain') throw new Error('chain expected');
    expect(s.factors.map((f) => [f.in, f.out])).toEqual([
      [12, 12],
      [12, 12],
      [12, 12],
    ]);
    const t = structure('map f : 6 -> 10 = dense() @ ks(a: 2, b: 4, c: 3, d: 1) @ lowrank(rank: 2)');
    if (t.kind !== 'chain') throw new Error('chain expected');
    expect(t.factors.map((f) => [f.in, f.out])).toEqual([
      [8, 10],
      [6, 8],
      [6, 6],
    ]);
  });

  it('square constructors carry sizes across; in:/out: fix the rest', () => {
    const s = structure('map f : 8 -> 20 = dense() @ butterfly() @ dense(out: 16)');
    if (s.kind !== 'chain') throw new Error('chain expected');
    expect(s.factors.map((f) => [f.kind, f.in, f.out])).toEqual([
      ['dense', 16, 20],
      ['butterfly', 16, 16],
      ['dense', 8, 16],
    ]);
    expect(structure('map f : 30 -> 30 = monarch(order: 3, radices: [2, 3, 5])')).toMatchObject({ kind: 'monarch_order', radices: [2, 3, 5] });
    expect(structure('map f : 27 -> 27 = monarch(order: 3)')).toMatchObject({ radices: [3, 3, 3] });
    expect(structure('map f : 9 -> 9 = butterfly(radix: 3, stride: decreasing)')).toMatchObject({ levels: 2, stride: 'decreasing' });
  });

  // QA1 s28 Q702: one size nothing fixes was one E0501 per constructor it is a side of, each naming another place for
  // 'in: N' (three for two diag()s between two dense(), two for one butterfly(), two for a sum of two diag()s).
  it('one size that nothing fixes is one E0501, at the first constructor it is a side of, through square constructors and sums', () => {
    const errors = (expr: string) => checkSource(`map q : 16 -> 16 = ${expr}`, 'spec.mon').diagnostics.map((d) => [d.code, d.message, d.span.start.column]);
    const first = [['E0501', "cannot infer the number of inputs of dense(): nothing around it fixes it; add 'in: N' to it", 20]];
    expect(errors('dense() @ diag() @ diag() @ dense()')).toEqual(first);
    expect(errors('dense() @ butterfly() @ dense()')).toEqual(first);
    expect(errors('dense() @ (diag() + diag()) @ dense()')).toEqual(first);
    // Two sizes nothing fixes: two errors, each at its own first constructor.
    expect(errors('dense() @ diag() @ lowrank(rank: 2) @ butterfly() @ dense()').map(([code, , column]) => [code, column])).toEqual([
      ['E0501', 20],
      ['E0501', 39],
    ]);
  });

  // QA1 s28 Q704: a statement with an unexpected character was parsed and checked without it: `density: .5` went on as
  // `density: 5` (E0406 'found 5', a value the user did not write), `nblocks: 4$0` as `4 0` (E0102). It is dropped, as a
  // statement with a syntax error is; the next statement is checked as ever.
  it('a statement with an unexpected character is dropped: E0101 alone, the statements after it checked', () => {
    const errors = (source: string) => checkSource(source, 'spec.mon').diagnostics.map((d) => [d.code, `${d.span.start.line}:${d.span.start.column}`]);
    expect(errors('map f : 4 -> 4 = sparse(block: 2, pattern: random(density: .5, seed: 1))\n')).toEqual([['E0101', '1:60']]);
    expect(errors('map f : 16 -> 16 = monarch(nblocks: 4$0)\nmap g : 4 -> 4 = dense(in: 3)\n')).toEqual([
      ['E0101', '1:38'],
      ['E0502', '2:18'],
    ]);
  });

  // REV28-7: a map dropped for its error still exists: the maps that use it got 'unknown map' at every reference, with
  // the map being defined suggested. They get nothing more; an unknown name never suggests the map it is in.
  it('a map dropped for its error is no unknown map to the maps that use it; no map suggests itself', () => {
    const errors = (source: string) => checkSource(source, 'spec.mon').diagnostics.map((d) => `${d.code} ${d.message}`);
    expect(errors('map a : 16 -> 16 = sparse(block: 4, pattern: random(density: .5, seed: 1))\nmap b : 16 -> 16 = a @ a\n')).toEqual(["E0101 unexpected character '.'"]);
    expect(errors('map a : 16 -> 16 = sparse(block: 4, pattern: random(density: 0.5 seed: 1))\nmap b : 16 -> 16 = a + dense()\n').map((e) => e.slice(0, 5))).toEqual(['E0102']);
    expect(errors('map ab : 4 -> 4 = ac @ dense()\n')).toEqual(["E0302 unknown map 'ac'"]);
  });

  // QA1 s31 Q1003: a character outside the BMP is one character (two UTF-16 units): it was 'unexpected characters'.
  it('an unexpected character outside the BMP is one character; a run is cut at 10 characters, never inside one', () => {
    const messages = (source: string) => checkSource(source, 'spec.mon').diagnostics.map((d) => d.message);
    expect(messages('map g : 4 -> 4 = lowrank(rank: 2) @ \u{1f600}\n')).toEqual(["unexpected character '\\u{1f600}'"]);
    expect(messages(`map g : 4 -> 4 = lowrank(rank: 2) @ ${'\u{1f600}'.repeat(11)}\n`)).toEqual([`unexpected characters '${'\\u{1f600}'.repeat(10)}…'`]);
  });

  it('rectangular monarch and the √n default', () => {
    expect(structure('map f : 12 -> 30 = monarch(nblocks: 3)')).toMatchObject({ p: 4, s: 10, q: 4, r: 4 });
    expect(structure('map f : 30 -> 12 = monarch(nblocks: 3)')).toMatchObject({ p: 10, s: 4, q: 4, r: 4 });
    expect(structure('map f : 36 -> 36 = monarch()')).toMatchObject({ nblocks: 6 });
  });

  it('sparse patterns', () => {
    expect(structure('map f : 12 -> 8 = sparse(block: [2, 3], pattern: band(width: 2))')).toMatchObject({
      bh: 2,
      bw: 3,
      pattern: 'band(width: 2)',
      blocks: [[0, 0], [0, 1], [1, 0], [1, 1], [1, 2], [2, 1], [2, 2], [2, 3], [3, 2], [3, 3]],
    });
    const fb = structure('map f : 8 -> 8 = sparse(block: 1, pattern: flat_butterfly(factors: 2))');
    expect(fb.kind === 'sparse' && fb.blocks.filter(([i]) => i === 5)).toEqual([[5, 4], [5, 5], [5, 7]]);
    // SPEC audit s24 S4: SPEC §3 bounds no f. I xor J < N on the grid, so an f past log2 N selects what log2 N does
    // (every block whose I xor J is 0 or a power of two); it was E0601 'needs at least 2^f blocks per side'.
    const blocksOf = (factors: number) => {
      const s = structure(`map f : 16 -> 16 = sparse(block: 4, pattern: flat_butterfly(factors: ${factors}))`);
      return s.kind === 'sparse' ? s.blocks : [];
    };
    const powersOfTwo = [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 3], [2, 0], [2, 2], [2, 3], [3, 1], [3, 2], [3, 3]];
    for (const factors of [2, 3, 64, 2147483647]) expect(blocksOf(factors), `factors: ${factors}`).toEqual(powersOfTwo);
  });

  it('masks go through resolveMask, relative to the .mon file', () => {
    const seen: string[] = [];
    const { module, diagnostics } = checkSource('map f : 4 -> 6 = sparse(block: 2, pattern: "m.npy")', 'dir/s.mon', {
      resolveMask: (path, from) => {
        seen.push(`${from}:${path}`);
        return { rows: 3, cols: 2, data: [1, 0, 0, 1, 1, 1] };
      },
    });
    expect(diagnostics).toEqual([]);
    expect(seen).toEqual(['dir/s.mon:m.npy']);
    expect(module!.maps[0].structure).toMatchObject({ blocks: [[0, 0], [1, 1], [2, 0], [2, 1]] });
  });

  it('a resolveMask result that is not { rows, cols, data } or { error } is a located E0602 naming it; a data length off its shape an E0603 saying so', () => {
    const spec = 'map f : 16 -> 16 = sparse(block: 4, pattern: "m.npy")';
    const diagnosticOf = (resolveMask: unknown) => {
      const { module, diagnostics } = checkSource(spec, 's.mon', { resolveMask: resolveMask as never });
      expect(module).toBeUndefined();
      expect(diagnostics).toHaveLength(1);
      return { code: diagnostics[0].code, message: diagnostics[0].message, at: diagnostics[0].span.start.column };
    };
    const shape = 'it must return { rows, cols, data } (a 2-D mask), { shape } (an array read that is not 2-D) or { error }';
    for (const [value, shown] of [[undefined, 'undefined'], [null, 'null'], [7, '7'], ['m.npy', '"m.npy"'], [{ rows: 4, cols: 4 }, '{"rows":4,"cols":4}']] as const) {
      expect(diagnosticOf(() => value)).toEqual({ code: 'E0602', message: `cannot read mask "m.npy": resolveMask returned ${shown}; ${shape}`, at: 46 });
    }
    expect(diagnosticOf(async () => ({ rows: 4, cols: 4, data: new Array(16).fill(1) })).message).toBe(
      `cannot read mask "m.npy": resolveMask returned a Promise (it is called synchronously: read the file before checking); ${shape}`,
    );
    expect(diagnosticOf(() => ({ rows: 4, cols: 4, data: new Array(10).fill(1) }))).toEqual({ code: 'E0603', message: 'mask "m.npy" has shape (4, 4) but 10 values (4 x 4 = 16)', at: 46 });
    // QA1 s21 Q05: an array read that is not 2-D ({ shape }) is the wrong shape, not an unreadable mask.
    expect(diagnosticOf(() => ({ shape: [16] }))).toEqual({ code: 'E0603', message: 'mask "m.npy" has shape (16,), but a mask is 2-D: the block grid is (4, 4) = (m/bh, n/bw)', at: 46 });
    expect(diagnosticOf(() => ({ shape: [2, 2, 4] })).code).toBe('E0603');
    // QA1 s23 Q204: a 2-D { shape } was told only { rows, cols, data } or { error } exist.
    expect(diagnosticOf(() => ({ shape: [4, 4] }))).toEqual({ code: 'E0602', message: `cannot read mask "m.npy": resolveMask returned {"shape":[4,4]}, a 2-D shape without its values; ${shape}`, at: 46 });
    // QA1 s31 Q1004: an element of the wrong kind is shown as the runtime shows a caller's value ('is 1' for the string '1').
    for (const [element, shown] of [['1', "'1' (a string)"], [1n, "'1' (a bigint)"], [true, 'true'], [2, '2']] as const) {
      const data = [...new Array(15).fill(1), element];
      expect(diagnosticOf(() => ({ rows: 4, cols: 4, data }))).toEqual({ code: 'E0604', message: `mask "m.npy" must hold only 0 and 1, but element (3, 3) is ${shown}`, at: 46 });
    }
    // What was fine stays fine: { error }, and a well-formed mask.
    expect(diagnosticOf(() => ({ error: 'no such file' })).message).toBe('cannot read mask "m.npy": no such file');
    expect(checkSource(spec, 's.mon', { resolveMask: () => ({ rows: 4, cols: 4, data: new Uint8Array(16).fill(1) }) }).diagnostics).toEqual([]);
  });

  it('module name defaults to the file name; dtype f16', () => {
    const m = check('dtype f16\nmap f : 4 -> 4 = dense()', 'some/dir/my_ffn.mon');
    expect([m.name, m.dtype]).toEqual(['my_ffn', 'f16']);
  });

  // QA s13 Q20: these file names were E0305 for every command (reserved words, not identifiers), though a module's name
  // names only its files (and strings and comments inside them), never an identifier of the generated code.
  it.each(['monarch', 'dense', 'class', 'filter', 'f32', 'map', 'my-ffn', 'layer.v2', 'tmp.AbC123', '123', 'with space', 'ffn.MON', 'then'])(
    'a module name from the file name %s.mon is the file name as it is',
    (name) => {
      const { diagnostics, module } = checkSource('map f : 4 -> 4 = dense()', `some/dir/${name}.mon`);
      expect(diagnostics).toEqual([]);
      expect(module!.name).toBe(name);
    },
  );

  it('positional arguments a constructor does not take: one E0405 per call, at the first (ks(2, 3, 3, 4) gave four, QA2 s14 R32)', () => {
    const diagnostics = checkSource('map k : 24 -> 24 = ks(2, 3, 3, 4)', 'k.mon').diagnostics;
    expect(diagnostics.map((d) => [d.code, d.message, d.span.start.column])).toEqual([['E0405', 'too many positional arguments for ks() (name them, e.g. a: …)', 23]]);
    expect(checkSource('map k : 24 -> 24 = ks(a: 2, b: 3, c: 3, d: 4)', 'k.mon').diagnostics).toEqual([]);
  });

  // s13's outside testers: on Linux `a\\b.mon` became module b, as if `\\` separated directories; it does on Windows only.
  it('a backslash in a POSIX file name is part of the name, which is then refused (Windows and URLs read it as /); on Windows it separates', () => {
    const [d] = checkSource('map f : 4 -> 4 = dense()', 'dir/a\\b.mon').diagnostics;
    expect([d.code, d.message]).toEqual([
      'E0305',
      "the module name 'a\\b' (from the file name) is unusable: it has a backslash, which Windows and URLs read as a directory separator, so its generated files (a\\b.ts, a\\b.wgsl, a\\b.json) could not be found by that name there; add 'module NAME'",
    ]);
    expect(checkSource('module ab\nmap f : 4 -> 4 = dense()', 'dir/a\\b.mon').module!.name).toBe('ab');
    expect([baseName('C:\\specs\\ffn.mon', true), baseName('dir/a\\b.mon', false), baseName('dir/ffn.mon', true)]).toEqual(['ffn.mon', 'a\\b.mon', 'ffn.mon']);
  });

  it('a declared module name is still held to the identifier rules; an empty one from the file name .mon is refused', () => {
    expect(checkSource('module dense\nmap f : 4 -> 4 = dense()', 'ok.mon').diagnostics.map((d) => d.code)).toEqual(['E0305']);
    const [empty] = checkSource('map f : 4 -> 4 = dense()', 'dir/.mon').diagnostics;
    expect([empty.code, empty.message]).toEqual(['E0305', "the module name '' (from the file name) is unusable: it is empty (the file is named .mon); add 'module NAME'"]);
  });
});
