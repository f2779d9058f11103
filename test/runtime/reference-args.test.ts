/**
 * The float64 reference (`referenceApply`, `referenceDense`, `referenceBackward` from
 * `monc/runtime`) called from JavaScript: the slips a user makes (the manifest map instead of its
 * model, parameters as an object or as tensor objects as `loadParams` takes them, a missing or fractional batch, null
 * arrays) are one MoncError each or, for an object of tensors, the same result as the Map; never a
 * TypeError or RangeError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import { referenceApply, referenceBackward, referenceDense } from '../../src/runtime/index.js';
import { packParams } from '../../src/runtime/params.js';
import { MoncError } from '../../src/util/error.js';
import { expectMoncErrorNow } from '../support/user-error.js';

const compiled = compileModule('map up : 8 -> 12 = monarch(nblocks: 2) + bias()\n', 'args.mon');
const map = compiled.outputs!.manifest.maps[0];
const params = new Map(map.params.map((p, k) => [p.name, Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + k))]));
const batch = 2;
const x = Float32Array.from({ length: batch * 8 }, (_, i) => Math.cos(i));
const dy = Float32Array.from({ length: batch * 12 }, (_, i) => Math.sin(2 * i));

/** The three calls with one argument list (model, params, x, dy, batch), each taking what it reads, as JavaScript passes anything. */
type Call = (model: unknown, params: unknown, x: unknown, dy: unknown, batch: unknown) => unknown;
const apply: Call = (model, p, xs, _, b) => referenceApply(model as never, p as never, xs as never, b as never);
const backward: Call = (model, p, xs, dys, b) => referenceBackward(model as never, p as never, xs as never, dys as never, b as never);
const dense: Call = (model, p) => referenceDense(model as never, p as never);

describe('the float64 reference called with the wrong arguments', () => {
  it('parameters as an object of tensors give what the Map gives', () => {
    const tensors = Object.fromEntries(params);
    expect(referenceApply(map.model, tensors, x, batch)).toEqual(referenceApply(map.model, params, x, batch));
    expect(referenceDense(map.model, tensors)).toEqual(referenceDense(map.model, params));
    expect(referenceBackward(map.model, tensors, x, dy, batch)).toEqual(referenceBackward(map.model, params, x, dy, batch));
  });

  it("tensor objects { shape, data } (readSafetensors' tensors, as loadParams takes them) give what the arrays give; a wrong shape is a ParamError (QA2 s14 R30: all NaN)", () => {
    const objects = new Map(map.params.map((p) => [p.name, { shape: p.shape, data: params.get(p.name)! }]));
    expect(referenceApply(map.model, objects, x, batch)).toEqual(referenceApply(map.model, params, x, batch));
    expect(referenceDense(map.model, Object.fromEntries(objects))).toEqual(referenceDense(map.model, params));
    expect(referenceBackward(map.model, objects, x, dy, batch)).toEqual(referenceBackward(map.model, params, x, dy, batch));
    const [first] = map.params;
    const flat = new Map([...objects, [first.name, { shape: [first.shape.reduce((a, b) => a * b, 1)], data: params.get(first.name)! }]]);
    expectMoncErrorNow(() => referenceApply(map.model, flat, x, batch), 'param', `parameter tensor '${first.name}' has shape (`);
  });

  it('tensors that are not arrays of numbers are a ParamError naming the tensor, as loadParams refuses them (QA2 s14 R30: all NaN)', () => {
    const [first] = map.params;
    const size = first.shape.reduce((a, b) => a * b, 1);
    const cases: [unknown, string][] = [
      [{ data: params.get(first.name) }, 'got object'],
      [{}, 'got object'],
      [{ length: size }, 'got undefined at element 0'],
      [Array.from({ length: size }, (_, i) => (i === 3 ? 'a' : 1)), 'got string at element 3'],
      [new BigInt64Array(size), 'got bigint at element 0'],
    ];
    for (const [bad, got] of cases) {
      const tensors = new Map<string, unknown>([...params, [first.name, bad]]);
      for (const call of [() => referenceDense(map.model, tensors as never), () => referenceApply(map.model, tensors as never, x, batch), () => referenceBackward(map.model, tensors as never, x, dy, batch)]) {
        expectMoncErrorNow(call, 'param', `parameter tensor '${first.name}' must be an array of numbers or a tensor object { shape, data }, ${got}`);
      }
    }
    // Arrays of numbers of any kind still count (an Array, a Float64Array).
    expect(referenceDense(map.model, new Map([...params].map(([k, v]) => [k, Array.from(v)])))).toEqual(referenceDense(map.model, params));
  });

  // QA2 s20 R95: a longer tensor (a dense W passed by mistake) was read in part, a shorter one said "expected at least".
  // The reference writes packParams' words out (no page bytes for a shared function): compared with packParams' own
  // message for the same tensors, so the two copies cannot drift apart (REV s20 5).
  it("a tensor of another element count than the model's shape is loadParams' ParamError, on every call", () => {
    for (const p of map.params) {
      const size = p.shape.reduce((a, b) => a * b, 1);
      for (const length of [size + 1, size - 1, 3 * size]) {
        const tensors = new Map<string, ArrayLike<number>>([...params, [p.name, new Float64Array(length)]]);
        const text = `parameter tensor '${p.name}' has ${length} elements; expected shape (${p.shape.join(', ')}${p.shape.length === 1 ? ',' : ''}) = ${size} elements`;
        const loaded = expectMoncErrorNow(() => packParams(map.params, map.paramSize, tensors), 'param', text);
        for (const call of [() => referenceDense(map.model, tensors), () => referenceApply(map.model, tensors, x, batch), () => referenceBackward(map.model, tensors, x, dy, batch)]) {
          expect(expectMoncErrorNow(call, 'param', text).message).toBe(loaded.message);
        }
      }
    }
  });

  // QA2 s24 Q353: referenceApply read the first rows of a longer x (a wrong batch went unseen); the others refused it.
  it('an x of another length than batch rows is a shape error on both calls', () => {
    for (const length of [x.length + 8, x.length + 1, x.length - 1, 3 * x.length]) {
      const xs = new Float32Array(length);
      for (const call of [() => referenceApply(map.model, params, xs, batch), () => referenceBackward(map.model, params, xs, dy, batch)]) {
        expectMoncErrorNow(call, 'shape', `x has ${length} values, expected ${batch}×8`);
      }
    }
  });

  it.each<[string, () => unknown, 'user' | 'param', string]>([
    ['the manifest map for its model', () => apply(map, params, x, undefined, batch), 'user', "referenceApply takes a map's model (manifest.maps[i].model, or modelOf(map)), got the manifest map 'up' itself"],
    ['the manifest map (backward)', () => backward(map, params, x, dy, batch), 'user', "referenceBackward takes a map's model (manifest.maps[i].model, or modelOf(map)), got the manifest map 'up' itself"],
    ['no model', () => dense(null, params, undefined, undefined, undefined), 'user', "referenceDense takes a map's model (manifest.maps[i].model, or modelOf(map)), got null"],
    ['null parameters', () => apply(map.model, null, x, undefined, batch), 'user', 'referenceApply: parameters must be tensors by name (a Map or an object), got null'],
    // REV31-2: no tensors by name, each said the first tensor was missing (kind param); a string was 'got string'.
    ['a Promise as the parameters', () => apply(map.model, Promise.resolve(params), x, undefined, batch), 'user', 'referenceApply: parameters must be tensors by name (a Map or an object), got Promise'],
    ['an Array as the parameters', () => backward(map.model, [], x, dy, batch), 'user', 'referenceBackward: parameters must be tensors by name (a Map or an object), got Array'],
    ['a Float32Array as the parameters', () => dense(map.model, new Float32Array(8), undefined, undefined, undefined), 'user', 'referenceDense: parameters must be tensors by name (a Map or an object), got Float32Array'],
    ['a string as the parameters', () => apply(map.model, 'a\nb', x, undefined, batch), 'user', "referenceApply: parameters must be tensors by name (a Map or an object), got 'a\\nb' (a string)"],
    ['a fractional batch', () => apply(map.model, params, x, undefined, 1.5), 'user', 'referenceApply: batch must be a whole number ≥ 0, got 1.5'],
    ['no batch', () => backward(map.model, params, x, dy, undefined), 'user', 'referenceBackward: batch must be a whole number ≥ 0, got undefined'],
    // QA2 s26 Q553: String() of an object without a prototype was a TypeError.
    ['a batch without a prototype', () => apply(map.model, params, x, undefined, Object.create(null)), 'user', 'referenceApply: batch must be a whole number ≥ 0, got object'],
    ['a BigInt batch', () => apply(map.model, params, x, undefined, 2n), 'user', "referenceApply: batch must be a whole number ≥ 0, got '2' (a bigint)"],
    ['a null input', () => apply(map.model, params, null, undefined, batch), 'user', 'referenceApply: x must be an array of numbers, got null'],
    ['a string dy', () => backward(map.model, params, x, 'dy', batch), 'user', 'referenceBackward: dy must be an array of numbers, got string'],
  ])('%s: one MoncError', (_, call, kind, message) => {
    expectMoncErrorNow(call, kind, message);
  });

  it('any arguments: a result or a MoncError, never another error', () => {
    const anything = fc.oneof(fc.anything(), fc.constantFrom<unknown>(map, map.model, params, Object.fromEntries(params), x, dy, batch));
    fc.assert(
      fc.property(fc.constantFrom(apply, backward, dense), anything, anything, anything, anything, anything, (call, ...args) => {
        try {
          call(...args);
        } catch (e) {
          if (!(e instanceof MoncError)) throw new Error(`${String(e)} for ${JSON.stringify(args.map((a) => typeof a))}`);
        }
      }),
      { numRuns: 500, seed: 3 },
    );
  });
});
