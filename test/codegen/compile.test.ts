import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import { modelCost } from '../../src/model/cost.js';
import { TINY_SOURCE } from './tiny-module.js';

function outputs(source: string, file: string, runtimeImport?: string) {
  const result = compileModule(source, file, { runtimeImport });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return result.outputs!;
}

describe('compileModule', () => {
  it('is deterministic: the same input twice gives the same bytes', () => {
    const a = outputs(TINY_SOURCE, 'tiny.mon');
    const b = outputs(TINY_SOURCE, 'tiny.mon');
    expect([b.wgsl, b.ts, b.manifestJson]).toEqual([a.wgsl, a.ts, a.manifestJson]);
  });

  it('does not depend on where the file lives: only its base name reaches the outputs', () => {
    const plain = outputs(TINY_SOURCE, 'tiny.mon');
    // A backslash separates directories on Windows only (on POSIX it is part of a file name: test/dsl/check.test.ts).
    const windows = process.platform === 'win32' ? ['C:\\work\\specs\\tiny.mon'] : [];
    for (const file of ['/home/someone/project/specs/tiny.mon', ...windows, './tiny.mon']) {
      const moved = outputs(TINY_SOURCE, file);
      expect([moved.wgsl, moved.ts, moved.manifestJson]).toEqual([plain.wgsl, plain.ts, plain.manifestJson]);
    }
    expect(plain.manifest.source).toBe('tiny.mon');
    expect(plain.manifestJson).not.toMatch(/"span"|someone|work\\\\/);
  });

  it('names the module after the file when the source does not', () => {
    const result = outputs('map m : 4 -> 4 = dense()\n', 'dir/layer.mon');
    expect(result.moduleName).toBe('layer');
    expect(result.manifest.wgsl).toBe('layer.wgsl');
  });

  it('imports the runtime from the given specifier', () => {
    expect(outputs(TINY_SOURCE, 'tiny.mon').ts).toContain(`from 'monc/runtime';`);
    expect(outputs(TINY_SOURCE, 'tiny.mon', '../runtime/index.js').ts).toContain(`from '../runtime/index.js';`);
  });

  it('returns located diagnostics and no outputs for a bad spec', () => {
    const result = compileModule('map m : 4 -> 6 = monarch(nblocks: 5)\n', 'bad.mon');
    expect(result.outputs).toBeUndefined();
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0].span.file).toBe('bad.mon');
    expect(errors[0].span.start.line).toBe(1);
  });

});

describe('the manifest', () => {
  const { manifest, wgsl } = outputs(TINY_SOURCE, 'tiny.mon');
  const map = (name: string) => manifest.maps.find((m) => m.name === name)!;

  it('lists every map in source order with its interface', () => {
    expect(manifest.maps.map((m) => [m.name, m.in, m.out])).toEqual([
      ['up', 16, 32],
      ['mixer', 16, 16],
      ['adapt', 16, 16],
      ['pf', 16, 16],
      ['chain', 16, 16],
      ['deep', 27, 27],
    ]);
    expect(manifest).toMatchObject({ module: 'tiny', dtype: 'f32', wgsl: 'tiny.wgsl' });
  });

  it('dispatches every op exactly once, through entry points the WGSL defines', () => {
    const entryPoints = manifest.maps.flatMap((m) => m.kernels.map((k) => k.entryPoint));
    expect(new Set(entryPoints).size).toBe(entryPoints.length);
    for (const entry of entryPoints) expect(wgsl).toMatch(new RegExp(`fn ${entry}\\(`));
    for (const m of manifest.maps) {
      const covered = m.kernels.flatMap((k) => k.ops).sort((a, b) => a - b);
      expect(covered).toEqual(m.ops.map((_, i) => i));
    }
  });

  it('counts FLOPs as monc check does: a multiply-add is 2, a bias add 1; maps sum their kernels', () => {
    // up: blkdiag1 (4·4·4) and blkdiag2 (4·8·4) weights, each used once per row.
    expect(map('up').flopsPerRow).toBe(2 * (64 + 128));
    // adapt: V (3·16) and U (16·3), plus the 16 bias adds.
    expect(map('adapt').flopsPerRow).toBe(2 * (48 + 48) + 16);
    for (const m of manifest.maps) {
      expect(m.flopsPerRow).toBe(modelCost(m.model).flopsPerRow);
      expect(m.flopsPerRow).toBe(m.kernels.reduce((a, k) => a + k.flopsPerRow, 0));
      expect(m.bytesPerRow).toBe(m.kernels.reduce((a, k) => a + k.bytesPerRow, 0));
      expect(m.dense).toEqual({ paramCount: m.in * m.out, flopsPerRow: 2 * m.in * m.out });
    }
  });

  it('counts bytes: activations per row (at least x read and y written), parameters once', () => {
    for (const m of manifest.maps) {
      expect(m.bytesPerRow).toBeGreaterThanOrEqual(4 * (m.in + m.out));
      expect(m.paramBytes).toBe(4 * m.paramSize);
      expect(m.paramCount).toBe(m.params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0));
      expect(m.paramSize).toBeGreaterThanOrEqual(m.paramCount);
    }
    // chain ties adapt's and mixer's weights: its buffer holds each tensor once.
    expect(map('chain').paramCount).toBe(map('adapt').paramCount + map('mixer').paramCount);
    expect(map('chain').params.map((p) => p.name).sort()).toEqual([...map('adapt').params, ...map('mixer').params].map((p) => p.name).sort());
  });
});
