/**
 * `monc run` takes X shaped like nn.Linear's input, (…, in) with any leading dimensions, and
 * writes Y of shape (…, out): the rows in order, on the CPU and on WebGPU, within 1e-5 of the
 * float64 reference. A wrong last dimension is a user error that names the expected one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSource } from '../../src/dsl/index.js';
import { readNpy, writeNpy } from '../../src/runtime/formats/npy.js';
import { readSafetensors } from '../../src/runtime/formats/safetensors.js';
import { relativeError } from '../support/programs.js';
import { cli, cliJson, scratchDir } from './helpers.js';
import { referenceApply } from '../support/reference.js';

const scratch = scratchDir();
const spec = scratch.path('shapes.mon');
const params = scratch.path('p.safetensors');
// Rectangular, not powers of two: 12 -> 18.
const SOURCE = 'map m : 12 -> 18 = monarch(nblocks: 3) + bias()\n';
const IN = 12;
const OUT = 18;

beforeAll(async () => {
  writeFileSync(spec, SOURCE);
  await cliJson(['init', spec, '--map', 'm', '--out', params, '--seed', '3']);
});
afterAll(() => scratch.remove());

const structure = () => checkSource(SOURCE, spec).module!.maps[0].structure;
const loadedParams = () => new Map([...readSafetensors(readFileSync(params)).tensors].map(([k, t]) => [k, t.data]));

async function runWithShape(leading: readonly number[], backend: 'cpu' | 'webgpu', tag: string) {
  const rows = leading.reduce((p, d) => p * d, 1);
  const x = Float32Array.from({ length: rows * IN }, (_, i) => Math.sin(i * 0.61 + rows));
  const input = scratch.path(`x-${tag}.npy`);
  const out = scratch.path(`y-${tag}.npy`);
  writeFileSync(input, writeNpy(x, [...leading, IN]));
  const json = await cliJson(['run', spec, '--map', 'm', '--params', params, '--input', input, '--out', out, '--backend', backend]);
  return { x, rows, json, y: readNpy(readFileSync(out)) };
}

describe('monc run with leading dimensions', () => {
  test.prop([fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 }), fc.constantFrom('cpu' as const, 'webgpu' as const)], { numRuns: 8 })(
    'X (…, in) gives Y (…, out), row by row as the reference',
    async (leading, backend) => {
      const tag = `${backend}-${leading.join('x')}`;
      const { x, rows, json, y } = await runWithShape(leading, backend, tag);
      expect(json).toMatchObject({ backend, input: [...leading, IN], output: [...leading, OUT] });
      expect(y.shape).toEqual([...leading, OUT]);
      expect(relativeError(y.data, referenceApply(structure(), loadedParams(), x, rows))).toBeLessThan(1e-5);
    },
  );

  it.each(['cpu', 'webgpu'] as const)('a vector (in,) gives (out,) and (2, 3, 1, in) gives (2, 3, 1, out) on %s', async (backend) => {
    for (const leading of [[], [2, 3, 1]]) {
      const { x, rows, y } = await runWithShape(leading, backend, `fixed-${backend}-${leading.length}`);
      expect(y.shape).toEqual([...leading, OUT]);
      expect(relativeError(y.data, referenceApply(structure(), loadedParams(), x, rows))).toBeLessThan(1e-5);
    }
  });

  it.each(['cpu', 'webgpu'] as const)('a leading dimension of 0 gives an empty Y of shape (…, 0, out) on %s', async (backend) => {
    const { y } = await runWithShape([2, 0], backend, `empty-${backend}`);
    expect(y.shape).toEqual([2, 0, OUT]);
    expect(y.data.length).toBe(0);
  });

  it.each([
    [[3, 4, IN + 1], '(3, 4, 13)'],
    [[IN, 1], '(12, 1)'],
    [[], '()'],
  ])('X of shape %j is a user error naming the expected last dimension', async (shape, text) => {
    const input = scratch.path('bad.npy');
    writeFileSync(input, writeNpy(new Float32Array(shape.reduce((p, d) => p * d, 1)), shape));
    const r = await cli(['run', spec, '--map', 'm', '--params', params, '--input', input, '--out', scratch.path('never.npy'), '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`monc: error: ${input}: input has shape ${text}; map 'm' takes (…, ${IN}): the last dimension must be ${IN}\n`);
  });
});
