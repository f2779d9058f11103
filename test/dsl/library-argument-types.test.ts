/**
 * Library entry points called from JavaScript with an argument of the wrong kind say so with a
 * MoncError (kind user, or projection for a projection option) naming what was passed, instead of
 * a TypeError from deep inside (install.md: a non-MoncError is a bug): project's W, project's
 * storage option (any string was accepted), structureCost's structure, convertPeerWeights's state.
 */
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../src/dsl/index.js';
import { compileModule } from '../../src/compile.js';
import { compileKernels } from '../../src/compile-kernels.js';
import { exportOnnx } from '../../src/export/onnx.js';
import { denseCost, structureCost } from '../../src/dsl/cost.js';
import { paramCount, paramsOf } from '../../src/dsl/params.js';
import { convertPeerWeights } from '../../src/interop/convert.js';
import { modelOf } from '../../src/model/build.js';
import { project } from '../../src/project/project.js';
import { ProjectionError } from '../../src/project/errors.js';
import { MoncError } from '../../src/util/error.js';

const { module } = checkSource('map f : 16 -> 16 = monarch(nblocks: 4)\n', 'f.mon');
const map = module!.maps[0]!;

/** What `call` throws. */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('arguments of the wrong kind', () => {
  it.each([
    ['project(model, null)', () => project(modelOf(map), null as never), "project() takes W as an array of numbers (out × in, row-major), not null"],
    ['project(model, 5)', () => project(modelOf(map), 5 as never), 'project() takes W as an array of numbers (out × in, row-major), not 5'],
    // QA1 s23 Q203: a bare TypeError from the conversion.
    ['project(model, BigInt64Array)', () => project(modelOf(map), new BigInt64Array(256) as never), 'project() takes W as an array of numbers (out × in, row-major): converting it threw TypeError: Cannot convert a BigInt value to a number'],
    // REV s23 3: an element's own RangeError passed out raw, taken for the host's.
    ['project(model, [{ valueOf: RangeError }])', () => project(modelOf(map), Array.from({ length: 256 }, () => ({ valueOf: () => { throw new RangeError('no value'); } })) as never), 'project() takes W as an array of numbers (out × in, row-major): converting it threw RangeError: no value'],
    ['project(model, W, 5)', () => project(modelOf(map), new Float64Array(256), 5 as never), 'project() takes its options as an object { seed, maxRounds, powerIterations, storage, precision }, not 5'],
    // QA2 s13 R22: misspelt names ran with the defaults.
    ['project(model, W, { sead: 1 })', () => project(modelOf(map), new Float64Array(256), { sead: 1 } as never), "project() has no option 'sead' (its options are seed, maxRounds, powerIterations, storage, precision)"],
    ['project(model, W, { maxround: 0 })', () => project(modelOf(map), new Float64Array(256), { maxround: 0 } as never), "project() has no option 'maxround' (its options are seed, maxRounds, powerIterations, storage, precision)"],
    ['structureCost(null)', () => structureCost(null as never), "structureCost() takes a checked map's structure (checkSource(…).module.maps[i].structure), not null"],
    ['structureCost(map)', () => structureCost(map as never), expect.stringMatching(/^structureCost\(\) takes a checked map's structure .*, not \{.* \(a checked map: pass its \.structure\)$/)],
    ['paramsOf(map)', () => paramsOf(map as never), expect.stringMatching(/^paramsOf\(\) takes a checked map's structure .*\(a checked map: pass its \.structure\)$/)],
    ['paramsOf("dense()")', () => paramsOf('dense()' as never), "paramsOf() takes a checked map's structure (checkSource(…).module.maps[i].structure), not \"dense()\""],
    ['paramsOf({ kind: "toString" })', () => paramsOf({ kind: 'toString' } as never), "paramsOf() takes a checked map's structure (checkSource(…).module.maps[i].structure), not {\"kind\":\"toString\"}"],
    ['paramCount(null)', () => paramCount(null as never), "paramCount() takes a checked map's structure (checkSource(…).module.maps[i].structure), not null"],
    ['denseCost(-3, 1.5)', () => denseCost(-3, 1.5), "denseCost() takes a map's two sizes (inSize, outSize: whole numbers of at least 1), not (-3, 1.5)"],
    ['denseCost(map)', () => denseCost(map as never, undefined as never), expect.stringMatching(/^denseCost\(\) takes a map's two sizes .*, not \(\{.*, undefined\)$/)],
    ['convertPeerWeights(map, fly, null)', () => convertPeerWeights(map, 'fly', null as never), 'convertPeerWeights() takes the state dict as a Map of { shape, data } by tensor name, not null'],
    // QA2 s14 R36: misspelt option names of the compiler's entry points were ignored ({ fowardOnly: true } gave a full build).
    ['compileModule(src, file, { fowardOnly })', () => compileModule('map f : 16 -> 16 = monarch(nblocks: 4)\n', 'f.mon', { fowardOnly: true } as never), "compileModule has no option 'fowardOnly' (its options are resolveMask, tuning, forwardOnly, runtimeImport, kernelSets)"],
    ['compileKernels(src, file, { runtimeImport })', () => compileKernels('map f : 16 -> 16 = monarch(nblocks: 4)\n', 'f.mon', { runtimeImport: 'x' } as never), "compileKernels has no option 'runtimeImport' (its options are resolveMask, tuning, forwardOnly, kernelSets)"],
    ['checkSource(src, file, { resolveMasks })', () => checkSource('map f : 16 -> 16 = monarch(nblocks: 4)\n', 'f.mon', { resolveMasks: () => undefined } as never), "checkSource has no option 'resolveMasks' (its options are resolveMask)"],
    ['exportOnnx({ ..., spares })', () => exportOnnx({ map, dtype: 'f32', params: {}, spares: 'gather' } as never), "exportOnnx has no option 'spares' (its options are map, dtype, params, sparse)"],
    ['convertPeerWeights(map, fly, state, { prefx })', () => convertPeerWeights(map, 'fly', new Map(), { prefx: 'a.' } as never), "convertPeerWeights has no option 'prefx' (its options are prefix, dtype)"],
    ['convertPeerWeights(map, fly, {})', () => convertPeerWeights(map, 'fly', {} as never), 'convertPeerWeights() takes the state dict as a Map of { shape, data } by tensor name, not {}'],
  ])('%s: a MoncError of kind user naming it', (_, call, message) => {
    const e = thrown(call);
    expect(e).toBeInstanceOf(MoncError);
    expect(e).toMatchObject({ kind: 'user', message });
  });

  it('the right kinds still answer', () => {
    const compiled = compileModule('map f : 16 -> 16 = monarch(nblocks: 4)\n', 'f.mon', { forwardOnly: true, runtimeImport: 'monc/runtime', kernelSets: ['portable'] });
    expect(compiled.outputs?.ts).toContain("from 'monc/runtime'");
    expect(paramsOf(map.structure).map((p) => p.name)).toEqual(['f.blkdiag1', 'f.blkdiag2']);
    expect(paramCount(map.structure)).toBe(2 * 4 * 4 * 4);
    expect(denseCost(16, 8)).toEqual({ params: 128, flopsPerRow: 256 });
    expect(structureCost(map.structure).params).toBe(paramCount(map.structure));
  });

  it("project's storage option other than 'f32' or 'f16' is a ProjectionError", () => {
    const e = thrown(() => project(modelOf(map), new Float64Array(256), { storage: 'f64' as never }));
    expect(e).toBeInstanceOf(ProjectionError);
    expect((e as Error).message).toBe(`option storage must be 'f32' or 'f16', got "f64"`);
    expect(project(modelOf(map), new Float64Array(256), { storage: 'f16' }).relativeError).toBe(0);
  });

  it("project's precision option other than 'f64', 'f32', 'f16' or 'bf16' is a ProjectionError", () => {
    for (const [bad, shown] of [['f8', '"f8"'], ['toString', '"toString"'], [16, '16']] as const) {
      const e = thrown(() => project(modelOf(map), new Float64Array(256), { precision: bad as never }));
      expect(e).toBeInstanceOf(ProjectionError);
      expect((e as Error).message).toBe(`option precision must be 'f64', 'f32', 'f16' or 'bf16', got ${shown}`);
    }
    expect(project(modelOf(map), new Float64Array(256), { precision: 'bf16' }).relativeError).toBe(0);
  });
});
