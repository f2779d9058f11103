/**
 * `up.project(w, options?)` on a generated class (issue 3: projection "as a method of the generated
 * bindings", QA2 s11 B1): what importing monc/project installs on TypedMap. It is projectInto(up,
 * w, options): the same parameters loaded and reported, forward then applies them (against the
 * float64 reference of those parameters), and a W of the wrong size is the same ProjectionError.
 */
import { describe, expect, it } from 'vitest';
import { ProjectionError, projectInto } from '../../src/project/index.js';
import '../../src/runtime/cpu.js';
import { MapRunner } from '../../src/runtime/map-runner.js';
import { TypedMap } from '../../src/runtime/typed-map.js';
import { checkedMap, monarch, randomParams, rng, sum, lowrank } from '../ir/structures.js';
import { compileForTest } from '../support/compiled.js';
import { randomArray, relativeError } from '../support/programs.js';
import { referenceApply, referenceDense } from '../support/reference.js';

/** A generated class as `monc build` writes one (its create aside). */
class Up extends TypedMap<Record<string, Float32Array>> {
  constructor(runner: MapRunner) {
    super(runner);
  }
}

const checked = checkedMap('up', sum(monarch(12, 18, 3), lowrank(12, 18, 2)));
const compiled = compileForTest(checked, 'f32');
/** W outside the structure (random dense), so the fit is a real least-squares one. */
const w = randomArray(18 * 12, rng(31));

async function up(): Promise<Up> {
  return new Up(await MapRunner.create(compiled.map, compiled.wgsl, { backend: 'cpu' }));
}

describe('up.project(w) once monc/project is imported', () => {
  it('is a method of every generated class', () => {
    expect(typeof TypedMap.prototype.project).toBe('function');
    expect(Object.getOwnPropertyNames(TypedMap.prototype)).toContain('project');
  });

  it('loads and reports what projectInto does; forward then applies those parameters', async () => {
    const [a, b] = [await up(), await up()];
    try {
      const byMethod = a.project(w, { seed: 3 });
      const byFunction = projectInto(b, w, { seed: 3 });
      expect(byMethod.relativeError).toBe(byFunction.relativeError);
      expect(byMethod.params).toEqual(byFunction.params);
      const params = new Map(Object.entries(byMethod.params));
      const m = referenceDense(checked.structure, params);
      expect(Math.abs(relativeError(m, w) - byMethod.relativeError)).toBeLessThan(1e-6);
      const x = randomArray(3 * 12, rng(32));
      expect(relativeError(await a.forward(x, 3), referenceApply(checked.structure, params, x, 3))).toBeLessThan(1e-6);
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('a W of the wrong size is projectInto’s ProjectionError, the loaded parameters kept', async () => {
    const a = await up();
    try {
      const first = a.project(w);
      expect(() => a.project(w.subarray(1))).toThrow(ProjectionError);
      expect(await a.params()).toEqual(first.params);
    } finally {
      a.destroy();
    }
  });
});
