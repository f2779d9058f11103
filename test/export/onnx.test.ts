/**
 * `exportOnnx`: every constructor and combination, exported and run in ONNX Runtime (Node, CPU),
 * matches the float64 reference (f32: 1e-5, f16: 3e-3 relative Frobenius error) at batch 1 and 5
 * through one model (the batch is symbolic); and the graph is what SPEC'd export promises:
 * default-domain operators, opset >= 17, no Gather, the initializers exactly the parameters under
 * their safetensors names, and no dense (m, n) tensor for a structured map.
 */
import { fc, test as fcTest } from '@fast-check/vitest';
import onnxProto from 'onnx-proto';
import { describe, expect, test } from 'vitest';
import { paramsOf } from '../../src/dsl/params.js';
import type { CheckedModule } from '../../src/dsl/structure.js';
import { exportOnnx } from '../../src/export/onnx.js';
import { ParamError } from '../../src/runtime/params.js';
import { readSafetensors, writeSafetensors } from '../../src/runtime/formats/index.js';
import { checkedModule, randomInput, randomParams, referenceY, relativeError, runOnnx } from './onnx-harness.js';
import { PRECISION_TOLERANCE } from '../../src/util/precision.js';

const { onnx } = onnxProto;

const MAPS = `
map dense1  : 12 -> 20 = dense()
map ks1     : 24 -> 40 = ks(a: 2, b: 5, c: 3, d: 4)
map ks_wide : 30 -> 12 = ks(a: 3, b: 2, c: 5, d: 2)
map bd      : 24 -> 36 = blockdiag(nblocks: 3)
map tr      : 24 -> 24 = transpose(4, 6) @ blockdiag(nblocks: 4) @ transpose(6, 4)
map tr_in   : 24 -> 30 = ks(a: 2, b: 5, c: 4, d: 3) @ transpose(6, 4)
map raw     : 64 -> 64 = transpose(8, 8) @ blockdiag(nblocks: 8) @ transpose(8, 8) @ blockdiag(nblocks: 8)
map msq     : 64 -> 64 = monarch(nblocks: 8)
map mup     : 48 -> 80 = monarch(nblocks: 4)
map mdown   : 80 -> 48 = monarch(nblocks: 4)
map m3      : 60 -> 60 = monarch(order: 3, radices: [3, 4, 5])
map bf2     : 32 -> 32 = butterfly(radix: 2)
map bf2d    : 32 -> 32 = butterfly(radix: 2, stride: decreasing)
map bf3     : 27 -> 27 = butterfly(radix: 3)
map bf3d    : 27 -> 27 = butterfly(radix: 3, stride: decreasing)
map bf2big  : 256 -> 256 = butterfly(radix: 2, stride: decreasing) + bias()
map bf3big  : 81 -> 81 = butterfly(radix: 3)
map lr      : 40 -> 30 = lowrank(rank: 5)
map fly     : 64 -> 64 = sparse(block: 8, pattern: flat_butterfly(factors: 2))
map banded  : 48 -> 64 = sparse(block: [8, 6], pattern: band(width: 2))
map rnd     : 64 -> 64 = sparse(block: 8, pattern: random(density: 0.3, seed: 3))
map mbias   : 64 -> 64 = monarch(nblocks: 8) + bias()
map pf      : 64 -> 64 = sparse(block: 8, pattern: flat_butterfly(factors: 2)) + lowrank(rank: 4) + bias()
map chain   : 48 -> 48 = mdown @ mup
map tied    : 64 -> 64 = msq @ msq
map tied2   : 64 -> 64 = msq + msq @ bf2x2 + bias()
map bf2x2   : 64 -> 64 = butterfly(radix: 2)
map deep    : 48 -> 48 = lowrank(rank: 3) @ transpose(6, 8) @ (mdown @ mup + dense()) + bias()
`;

const modules: Record<'f32' | 'f16', CheckedModule> = { f32: checkedModule(MAPS), f16: checkedModule(`dtype f16\n${MAPS}`) };

describe.each(['f32', 'f16'] as const)('%s export runs in ONNX Runtime like the float64 reference', (dtype) => {
  const module = modules[dtype];
  test.each(module.maps.map((m) => m.name))('%s', async (name) => {
    const map = module.maps.find((m) => m.name === name)!;
    const params = randomParams(module, name, 11);
    const model = exportOnnx({ map, dtype, params });
    for (const batch of [1, 5]) {
      const x = randomInput(batch * map.in, batch, dtype);
      const { y, dims } = await runOnnx(model, x, batch, map.in, dtype);
      expect(dims).toEqual([batch, map.out]);
      expect(relativeError(y, referenceY(module, name, params, x, batch))).toBeLessThan(PRECISION_TOLERANCE[dtype]);
    }
  });
});

describe('the exported graph', () => {
  const module = modules.f16;
  test.each(module.maps.map((m) => m.name))('%s: standard operators, parameters as initializers, no index tables', (name) => {
    const map = module.maps.find((m) => m.name === name)!;
    const decoded = onnx.ModelProto.decode(exportOnnx({ map, dtype: 'f16', params: randomParams(module, name, 1) }));
    expect(decoded.opsetImport.map((o) => [o.domain ?? '', Number(o.version)])).toEqual([['', 17]]);
    const graph = decoded.graph as onnxProto.onnx.GraphProto;
    for (const node of graph.node) expect(node.domain ?? '').toBe('');
    // The default form: sparse maps too select their blocks by Slice (exportOnnx's `sparse`
    // option 'gather' is the form with index tables: sparse-gather.test.ts).
    for (const op of ['Gather', 'GatherElements', 'GatherND', 'ScatterND', 'ScatterElements']) expect(graph.node.map((n) => n.opType)).not.toContain(op);
    expect(graph.input.map((i) => i.name)).toEqual(['x']);
    expect(graph.output.map((o) => o.name)).toEqual(['y']);
    const dims = (v: onnxProto.onnx.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(dims(graph.input[0])).toEqual(['batch', map.in]);
    expect(dims(graph.output[0])).toEqual(['batch', map.out]);
    const specs = paramsOf(map.structure);
    expect(graph.initializer.map((t) => [t.name, t.dims!.map(Number), t.dataType])).toEqual(
      specs.map((p) => [p.name, [...p.shape], onnx.TensorProto.DataType.FLOAT16]),
    );
    // Only dense() may hold an (m, n) matrix; constants are shapes, axes and bounds (int64), a
    // scalar zero, or the identity a merged factor's weights are read off with (0s and 1s, at
    // most 32×32; float32, the type the merge is computed in).
    const dense = name === 'dense1' || name === 'deep';
    for (const t of graph.initializer) if (!dense || !t.name!.endsWith('weight')) expect(t.dims!.map(Number).reduce((a, b) => a * b, 1)).toBeLessThan(map.in * map.out);
    for (const node of graph.node.filter((n) => n.opType === 'Constant')) {
      const t = node.attribute![0].t!;
      const size = t.dims!.map(Number).reduce((a, b) => a * b, 1);
      if (t.dataType === onnx.TensorProto.DataType.INT64) {
        expect(size).toBeLessThanOrEqual(8);
      } else if (t.dataType === onnx.TensorProto.DataType.FLOAT) {
        expect(size).toBeLessThanOrEqual(32 * 32);
        expect(new Float32Array(Uint8Array.from(t.rawData!).buffer).every((v) => v === 0 || v === 1)).toBe(true);
      } else {
        expect(t.dataType).toBe(onnx.TensorProto.DataType.FLOAT16);
        expect(size).toBeLessThanOrEqual(1); // the scalar zero
        const halves = new Uint16Array(Uint8Array.from(t.rawData!).buffer);
        expect(halves.every((h) => h === 0)).toBe(true);
      }
    }
  });

  test('a tied weight is one initializer, read by every use', () => {
    const map = module.maps.find((m) => m.name === 'tied')!;
    const graph = onnx.ModelProto.decode(exportOnnx({ map, dtype: 'f16', params: randomParams(module, 'tied', 1) })).graph as onnxProto.onnx.GraphProto;
    expect(graph.initializer.map((t) => t.name)).toEqual(['msq.blkdiag1', 'msq.blkdiag2']);
  });
});

describe('parameters that do not fit', () => {
  const module = modules.f32;
  const map = module.maps.find((m) => m.name === 'mbias')!;
  test('a missing tensor is named', () => {
    const params = randomParams(module, 'mbias', 1);
    params.delete('mbias.1.bias');
    expect(() => exportOnnx({ map, dtype: 'f32', params })).toThrow(new ParamError("missing parameter tensor 'mbias.1.bias' (expected shape (64,))"));
  });
  test('a tensor of the wrong size is named with its expected shape', () => {
    const params = randomParams(module, 'mbias', 1);
    params.set('mbias.0.blkdiag1', new Float32Array(10));
    expect(() => exportOnnx({ map, dtype: 'f32', params })).toThrow(new ParamError("parameter tensor 'mbias.0.blkdiag1' has 10 elements; expected shape (8, 8, 8) = 512 elements"));
  });
  // QA2 s20 R94: loadParams takes readSafetensors' tensors `{ shape, data }`; exportOnnx said "has undefined elements".
  test("takes readSafetensors' tensor objects as loadParams does (the same model as from their arrays), their shape checked", () => {
    const params = randomParams(module, 'mbias', 1);
    const shapes = new Map(paramsOf(map.structure).map((p) => [p.name, p.shape]));
    const file = writeSafetensors(new Map([...params].map(([name, data]) => [name, { shape: shapes.get(name)!, data }])));
    const tensors = readSafetensors(file).tensors;
    expect(exportOnnx({ map, dtype: 'f32', params: tensors })).toEqual(exportOnnx({ map, dtype: 'f32', params }));
    const flat = new Map([...tensors].map(([name, t]) => [name, name === 'mbias.0.blkdiag1' ? { shape: [512], data: t.data } : t]));
    expect(() => exportOnnx({ map, dtype: 'f32', params: flat })).toThrow(new ParamError("parameter tensor 'mbias.0.blkdiag1' has shape (512,); expected (8, 8, 8)"));
  });
  test('a tensor of values that are not numbers (a BigInt64Array) is a MoncError of kind user naming it', () => {
    const params: Map<string, ArrayLike<number>> = randomParams(module, 'mbias', 1);
    params.set('mbias.1.bias', new BigInt64Array(64) as unknown as ArrayLike<number>);
    expect(() => exportOnnx({ map, dtype: 'f32', params })).toThrow(
      expect.objectContaining({ kind: 'user', message: "parameter tensor 'mbias.1.bias' must be numbers, got TypeError: Cannot convert a BigInt value to a number" }),
    );
  });
});

// Random shapes, rectangular and not powers of two: a Kronecker-sparse factor read through a
// transpose and written through another (permutations the exporter turns into Transposes).
const divisors = (n: number) => [...Array(n).keys()].map((k) => k + 1).filter((k) => n % k === 0);
fcTest.prop(
  [fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 4 })],
  { numRuns: 15 },
)('ks between transposes, random shapes', async (a, b, c, d, pickIn, pickOut, batch) => {
  const n = a * c * d;
  const m = a * b * d;
  const p = divisors(n)[pickIn % divisors(n).length];
  const q = divisors(m)[pickOut % divisors(m).length];
  const module = checkedModule(`map f : ${n} -> ${m} = transpose(${q}, ${m / q}) @ ks(a: ${a}, b: ${b}, c: ${c}, d: ${d}) @ transpose(${p}, ${n / p})`);
  const params = randomParams(module, 'f', 7);
  const x = randomInput(batch * n, 5, 'f32');
  const { y } = await runOnnx(exportOnnx({ map: module.maps[0], dtype: 'f32', params }), x, batch, n, 'f32');
  expect(relativeError(y, referenceY(module, 'f', params, x, batch))).toBeLessThan(1e-5);
});

// Two factors with a transpose between them: the exporter joins the first factor's output
// arrangement, the transpose and the second factor's input arrangement into as few Transposes as
// the digit boundaries allow (through rows where they do not line up).
fcTest.prop(
  [
    fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    fc.nat(),
    fc.integer({ min: 1, max: 3 }),
  ],
  { numRuns: 25 },
)('ks @ transpose @ ks, random shapes', async ([a, b, c, d], [a2, d2], pick, batch) => {
  const n = a * c * d;
  const mid = a * b * d;
  // The second factor reads `mid` features: a2·c2·d2 = mid for a c2 when a2·d2 divides it.
  const [a2f, d2f] = mid % (a2 * d2) === 0 ? [a2, d2] : [1, 1];
  const c2 = mid / (a2f * d2f);
  const p = divisors(mid)[pick % divisors(mid).length];
  const m = a2f * 2 * d2f;
  const module = checkedModule(`map f : ${n} -> ${m} = ks(a: ${a2f}, b: 2, c: ${c2}, d: ${d2f}) @ transpose(${p}, ${mid / p}) @ ks(a: ${a}, b: ${b}, c: ${c}, d: ${d})`);
  const params = randomParams(module, 'f', 3);
  const x = randomInput(batch * n, 6, 'f32');
  const { y } = await runOnnx(exportOnnx({ map: module.maps[0], dtype: 'f32', params }), x, batch, n, 'f32');
  expect(relativeError(y, referenceY(module, 'f', params, x, batch))).toBeLessThan(1e-5);
});
