import { describe, expect, it } from 'vitest';
import type { CheckedModule } from '../../src/dsl/structure.js';
import { compileMap, compileModuleIr, tryCompileMap } from '../../src/ir/pipeline.js';
import { bias, chain, checkedMap, dense, monarch, ref, sum, transpose } from './structures.js';

describe('compileMap', () => {
  it('reports the printed IR after every pass, in order, ending with the program', () => {
    const seen: [string, string][] = [];
    compileMap(checkedMap('down', sum(monarch(16, 8, 4), bias(8, 16))), 'f32', { onPass: (name, text) => seen.push([name, text]) });
    expect(seen.map(([name]) => name)).toEqual(['lower', 'flatten', 'fold-permutations', 'simplify-index-maps', 'drop-identities', 'canonicalize-blocks', 'schedule']);
    expect(seen[0][1]).toMatch(/^map down : 16 -> 8 f32\n/);
    expect(seen[6][1]).toMatch(/^program down : 16 -> 8 f32\n/);
    expect(seen[6][1]).toContain('bias=down.1.bias[0:8]');
  });

  it('leaves no op for a permutation', () => {
    const program = compileMap(checkedMap('t', chain(transpose(3, 4), dense(12, 12), transpose(4, 3), transpose(2, 6), dense(12, 12))), 'f32');
    expect(program.ops.map((op) => op.kind)).toEqual(['ks', 'ks']);
  });

  it('reports a map that only moves data, with the located diagnostic of the permutation, and gives no program', () => {
    const span = { file: 'p.mon', start: { offset: 20, line: 2, column: 5 }, end: { offset: 34, line: 2, column: 19 } };
    const map = checkedMap('p', (path) => ({ ...transpose(3, 4)(path), span }));
    const moves = tryCompileMap(map, 'f32');
    expect(moves.result).toBeUndefined();
    expect(moves.diagnostics).toMatchObject([{ code: 'E0701', severity: 'error', span }]);
    const identity = tryCompileMap(checkedMap('i', sum(dense(12, 12), chain(transpose(3, 4), transpose(4, 3)))), 'f32');
    expect(identity.result).toBeUndefined();
    expect(identity.diagnostics).toMatchObject([{ code: 'E0702', severity: 'error', message: expect.stringMatching(/identity/) }]);
    // compileMap is for maps known to compile: one the IR rejects is the caller's bug.
    expect(() => compileMap(map, 'f32')).toThrow(/^internal error: map 'p' does not compile: .*\[E0701\]$/);
  });
});

describe('compileModuleIr', () => {
  it('compiles every map of a module with the module dtype, tied weights packed once', () => {
    const base = checkedMap('base', monarch(16, 16, 4));
    const module: CheckedModule = {
      name: 'mod',
      file: 'mod.mon',
      dtype: 'f16',
      consts: {},
      maps: [base, checkedMap('twice', chain(ref('base', base.structure), ref('base', base.structure)))],
    };
    const programs = compileModuleIr(module);
    expect(programs.map((p) => [p.name, p.dtype, p.ops.length])).toEqual([
      ['base', 'f16', 2],
      ['twice', 'f16', 4],
    ]);
    expect(programs[1].params.map((p) => p.name)).toEqual(['base.blkdiag1', 'base.blkdiag2']);
  });
});
