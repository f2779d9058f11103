/**
 * Library entry points called from JavaScript with an argument of the wrong kind say so with a
 * MoncError (kind user, or projection for a projection option) naming what was passed, instead of
 * a TypeError from deep inside (install.md: a non-MoncError is a bug): project's W, project's
 * storage option (any string was accepted), structureCost's structure, convertPeerWeights's state.
 */
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../src/dsl/index.js';
import { structureCost } from '../../src/dsl/cost.js';
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
    ['project(model, W, 5)', () => project(modelOf(map), new Float64Array(256), 5 as never), 'project() takes its options as an object { seed, maxRounds, powerIterations, storage }, not 5'],
    ['structureCost(null)', () => structureCost(null as never), "structureCost() takes a checked map's structure (checkSource(…).module.maps[i].structure), not null"],
    ['convertPeerWeights(map, fly, null)', () => convertPeerWeights(map, 'fly', null as never), 'convertPeerWeights() takes the state dict as a Map of { shape, data } by tensor name, not null'],
    ['convertPeerWeights(map, fly, {})', () => convertPeerWeights(map, 'fly', {} as never), 'convertPeerWeights() takes the state dict as a Map of { shape, data } by tensor name, not {}'],
  ])('%s: a MoncError of kind user naming it', (_, call, message) => {
    const e = thrown(call);
    expect(e).toBeInstanceOf(MoncError);
    expect(e).toMatchObject({ kind: 'user', message });
  });

  it("project's storage option other than 'f32' or 'f16' is a ProjectionError", () => {
    const e = thrown(() => project(modelOf(map), new Float64Array(256), { storage: 'f64' as never }));
    expect(e).toBeInstanceOf(ProjectionError);
    expect((e as Error).message).toBe(`option storage must be 'f32' or 'f16', got "f64"`);
    expect(project(modelOf(map), new Float64Array(256), { storage: 'f16' }).relativeError).toBe(0);
  });
});
