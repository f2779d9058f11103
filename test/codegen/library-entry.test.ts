import { describe, expect, it } from 'vitest';
import * as monc from '../../src/index.js';

describe('the library entry', () => {
  it('compiles a source and runs the result through the runtime it exports', async () => {
    const { outputs, module } = monc.compileModule('map up : 6 -> 10 = lowrank(rank: 2) + bias()\n', 'lib.mon');
    const map = outputs!.manifest.maps[0];
    const runner = await monc.MapRunner.create(map, outputs!.wgsl, { backend: 'cpu' });
    const params = monc.initParams(monc.paramsOf(module!.maps[0].structure), 1);
    runner.loadParams(params);
    const x = Float32Array.from({ length: 12 }, (_, i) => i / 7 - 0.5);
    const y = await runner.forward(x, 2);
    const expected = monc.referenceApply(monc.modelOf(module!.maps[0]), params, x, 2);
    expect(Math.max(...y.map((v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-5);
    expect(outputs!.manifest.monc).toBe(monc.MONC_VERSION);
  });

  it('projects a dense matrix onto a structure, from the package entry and the monc/project entry (not the runtime\'s)', async () => {
    const projection = await import('../../src/project/index.js');
    expect(projection.project).toBe(monc.project);
    expect(projection.ProjectionError).toBe(monc.ProjectionError);
    const runtime: Record<string, unknown> = await import('../../src/runtime/index.js');
    expect(runtime['project']).toBeUndefined();
    const { module } = monc.checkSource('map low : 6 -> 4 = lowrank(rank: 1)\n', 'lib.mon');
    const model = monc.modelOf(module!.maps[0]);
    expect(monc.denseShape(model)).toEqual([4, 6]);
    // u vᵀ has rank 1: the projection is exact.
    const w = Float64Array.from({ length: 24 }, (_, i) => (1 + Math.floor(i / 6)) * ((i % 6) - 2.5));
    const r = monc.project(model, w);
    expect(r.relativeError).toBeLessThan(1e-12);
    expect([...r.params.keys()]).toEqual(['low.U', 'low.V']);
    expect(() => monc.checkDenseShape(model, [6, 4])).toThrow(monc.ProjectionError);
  });
});
