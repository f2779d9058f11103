import { describe, expect, it } from 'vitest';
import { mapNames, pascalCase } from '../../src/codegen/ts/names.js';

describe('pascalCase', () => {
  it('capitalises each underscore-separated part', () => {
    expect(pascalCase('up')).toBe('Up');
    expect(pascalCase('up_proj')).toBe('UpProj');
    expect(pascalCase('_x__y_')).toBe('XY');
    expect(pascalCase('Mixer')).toBe('Mixer');
  });

  it('prefixes names that cannot start an identifier', () => {
    expect(pascalCase('_1')).toBe('Map1');
    expect(pascalCase('__')).toBe('Map');
  });
});

describe('mapNames', () => {
  it('names each map after itself', () => {
    expect(mapNames(['up', 'down_proj'])).toEqual([
      { map: 'up', className: 'Up', paramsType: 'UpParams' },
      { map: 'down_proj', className: 'DownProj', paramsType: 'DownProjParams' },
    ]);
  });

  it('lets a PascalCase map name its own class, and moves other maps out of its way', () => {
    expect(mapNames(['up', 'Up'])).toEqual([
      { map: 'up', className: 'Up2', paramsType: 'Up2Params' },
      { map: 'Up', className: 'Up', paramsType: 'UpParams' },
    ]);
  });

  it('never reuses an identifier of the generated file or another export', () => {
    const names = mapNames(['promise', 'WGSL', 'typed_map', 'a_b', 'aB', 'AbParams', 'ab']);
    const locals = names.flatMap((n) => [n.className, n.paramsType]);
    expect(new Set(locals).size).toBe(locals.length);
    for (const reserved of ['Promise', 'WGSL', 'TypedMap', 'Float32Array', 'MANIFEST']) expect(locals).not.toContain(reserved);
    // An export name (class, params type or a map's own name) is never claimed twice.
    const exported = [...locals, ...names.filter((n) => n.className !== n.map).map((n) => n.map)];
    expect(new Set(exported).size).toBe(exported.length);
  });
});
