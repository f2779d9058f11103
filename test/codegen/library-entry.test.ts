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
    const expected = monc.referenceApply(map.structure, params, x, 2);
    expect(Math.max(...y.map((v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-5);
    expect(outputs!.manifest.monc).toBe(monc.MONC_VERSION);
  });
});
