/**
 * The subgroup-matrix emulation (test/support/sgmat-emulation.ts) itself, independent of any
 * kernel family: hand-written kernels whose subgroups load left and right matrices, and a result
 * to accumulate onto, in random layouts at random offsets and strides, multiply with and without
 * accumulating, and store in both call forms, run on SwiftShader and compared entry by entry with
 * the subgroup-matrix proposal's definitions computed here (f32 sums of 16 products: 1e-5; every
 * call drawn lies inside its array with a stride of at least 16, so the robustness the emulation
 * models leaves it unchanged); the robustness itself on calls that cross an array's end or have
 * too small a stride (exact values); the rewrite's text; and the forms it must refuse.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { nodeGpu } from '../../bench/node-gpu.js';
import { rng } from '../support/programs.js';
import { emulateSubgroupMatrix } from '../support/sgmat-emulation.js';

type Layout = 'row_major' | 'col_major';

interface Access {
  readonly layout: Layout;
  readonly offset: number;
  readonly stride: number;
}

interface Case {
  readonly subgroups: 1 | 2;
  /** Each subgroup's offsets move by this many elements (uniform within the subgroup only). */
  readonly step: number;
  readonly left: Access;
  readonly right: Access;
  readonly acc: Access;
  readonly out: Access;
  /** Store the plain product with `subgroupMatrixStore(&p, o, m, col_major_bool, s)` (the older form). */
  readonly oldStore: boolean;
}

const T = 16;
/** Elements of an operand buffer: room for any offset, stride and subgroup step drawn below. */
const SIZE = 700;
/** Each subgroup's output region (two stores of up to 16 x 24 entries). */
const REGION = 1024;

/** Array index of entry [r, c] (the proposal: row-major offset + r·stride + c, column-major offset + c·stride + r). */
const at = (a: Access, base: number, r: number, c: number) => base + a.offset + (a.layout === 'row_major' ? r * a.stride + c : c * a.stride + r);

function kernel(k: Case): string {
  const layout = (a: Access) => a.layout;
  const off = (a: Access, extra = '') => `${a.offset}u + sg * ${k.step}u${extra}`;
  const store = k.oldStore
    ? `subgroupMatrixStore(&out, sg * ${REGION}u + 512u + ${k.out.offset}u, p, ${k.out.layout === 'col_major'}, ${k.out.stride}u);`
    : `subgroupMatrixStore<${k.out.layout}>(&out, sg * ${REGION}u + 512u + ${k.out.offset}u, p, ${k.out.stride}u);`;
  return `enable f16;
enable chromium_experimental_subgroup_matrix;
@group(0) @binding(0) var<storage, read> a: array<f16>;
@group(0) @binding(1) var<storage, read> b: array<f16>;
@group(0) @binding(2) var<storage, read> c: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${32 * k.subgroups})
fn main(@builtin(local_invocation_index) lid: u32) {
  @diagnostic(off, chromium.subgroup_matrix_uniformity) {
    let sg = lid / 32u;
    let l = subgroupMatrixLoad<subgroup_matrix_left<f16, ${T}, ${T}>, ${layout(k.left)}>(&a, ${off(k.left)}, ${k.left.stride}u);
    let r = subgroupMatrixLoad<subgroup_matrix_right<f16, ${T}, ${T}>, ${layout(k.right)}>(&b, ${off(k.right)}, ${k.right.stride}u);
    var acc = subgroupMatrixLoad<subgroup_matrix_result<f32, ${T}, ${T}>, ${layout(k.acc)}>(&c, ${off(k.acc)}, ${k.acc.stride}u);
    acc = subgroupMatrixMultiplyAccumulate(l, r, acc);
    let p = subgroupMatrixMultiply<f32>(l, r);
    subgroupMatrixStore<${k.out.layout}>(&out, sg * ${REGION}u + ${k.out.offset}u, acc, ${k.out.stride}u);
    ${store}
  }
}`;
}

/** What the proposal's definitions give for the case: the output buffer, zero where nothing is stored. */
function expected(k: Case, a: Float32Array, b: Float32Array, c: Float32Array): Float64Array {
  const out = new Float64Array(REGION * k.subgroups);
  for (let sg = 0; sg < k.subgroups; sg++)
    for (let i = 0; i < T; i++)
      for (let j = 0; j < T; j++) {
        let p = 0;
        for (let q = 0; q < T; q++) p += a[at(k.left, sg * k.step, i, q)] * b[at(k.right, sg * k.step, q, j)];
        out[at(k.out, sg * REGION, i, j)] = p + c[at(k.acc, sg * k.step, i, j)];
        out[at(k.out, sg * REGION + 512, i, j)] = p;
      }
  return out;
}

async function run(wgsl: string, inputs: readonly Float32Array<ArrayBuffer>[], outSize: number): Promise<Float32Array> {
  const { device } = await nodeGpu();
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const bufs = inputs.map((data) => {
    const buf = device.createBuffer({ size: data.byteLength, usage });
    device.queue.writeBuffer(buf, 0, data);
    return buf;
  });
  bufs.push(device.createBuffer({ size: outSize * 4, usage }));
  const module = device.createShaderModule({ code: wgsl });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: bufs.map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const read = device.createBuffer({ size: outSize * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(1);
  pass.end();
  enc.copyBufferToBuffer(bufs[bufs.length - 1], 0, read, 0, outSize * 4);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(read.getMappedRange().slice(0));
  read.destroy();
  for (const buf of bufs) buf.destroy();
  return out;
}

const access = (maxOffset: number) =>
  fc.record({ layout: fc.constantFrom<Layout>('row_major', 'col_major'), offset: fc.integer({ min: 0, max: maxOffset }), stride: fc.integer({ min: T, max: 24 }) });
const cases = fc.record({
  subgroups: fc.constantFrom<1 | 2>(1, 2),
  step: fc.integer({ min: 0, max: 9 }),
  left: access(21),
  right: access(21),
  acc: access(21),
  out: access(21),
  oldStore: fc.boolean(),
});

describe('the subgroup-matrix emulation', () => {
  test.prop([cases], { numRuns: 6 })('loads, multiplies and stores as the subgroup-matrix proposal defines', async (k) => {
    const rnd = rng(k.left.offset + 31 * k.right.stride);
    const fill = () => Float32Array.from({ length: SIZE }, () => 2 * rnd() - 1);
    const [a, b, c] = [fill(), fill(), fill()];
    const want = expected(k, a, b, c);
    const got = await run(emulateSubgroupMatrix(kernel(k), { checkUniformity: true }), [a, b, c], want.length);
    for (let e = 0; e < want.length; e++) expect(Math.abs(got[e] - want[e]), `entry ${e}`).toBeLessThan(1e-5);
  });

  it('stores a left matrix into a packed f16 workgroup array intact (column-major, read back and multiplied by the identity)', async () => {
    // Every lane of a lane row holds the matrix's rows: writers of one packed half must not undo each other (ks-sgmat-strided mt).
    const wgsl = `enable f16;
enable chromium_experimental_subgroup_matrix;
@group(0) @binding(0) var<storage, read> a: array<f16>;
@group(0) @binding(1) var<storage, read> b: array<f16>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
var<workgroup> w: array<f16, ${T * T}>;
@compute @workgroup_size(32)
fn main(@builtin(local_invocation_index) lid: u32) {
  let l = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&a, 0u, 16u);
  subgroupMatrixStore<col_major>(&w, 0u, l, 16u);
  workgroupBarrier();
  let m = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, col_major>(&w, 0u, 16u);
  let r = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, row_major>(&b, 0u, 16u);
  let p = subgroupMatrixMultiply<f32>(m, r);
  subgroupMatrixStore<row_major>(&out, 0u, p, 16u);
}`;
    const a = Float32Array.from({ length: T * T }, (_, i) => i + 1); // exact in f16
    const identity = Float32Array.from({ length: T * T }, (_, i) => (i % (T + 1) === 0 ? 1 : 0));
    const got = await run(emulateSubgroupMatrix(wgsl, { packWorkgroupF16: true }), [a, identity], T * T);
    expect(Array.from(got)).toEqual(Array.from(a));
  });

  it('with checkUniformity, poisons (NaN) loads and stores whose offsets differ within a subgroup or that run in divergent control flow', async () => {
    const module = (offset: string, guard: string) => `enable chromium_experimental_subgroup_matrix;
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> c: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(32)
fn main(@builtin(local_invocation_index) lid: u32) {
  let l = subgroupMatrixLoad<subgroup_matrix_left<f32, 16, 16>, row_major>(&a, ${offset}, 16u);
  let r = subgroupMatrixLoad<subgroup_matrix_right<f32, 16, 16>, row_major>(&b, 0u, 16u);
  var p = subgroupMatrixLoad<subgroup_matrix_result<f32, 16, 16>, row_major>(&c, 0u, 16u);
  p = subgroupMatrixMultiplyAccumulate(l, r, p);
  if (${guard}) {
    subgroupMatrixStore<row_major>(&out, 0u, p, 16u);
  }
}`;
    const inputs = [0, 1, 2].map(() => Float32Array.from({ length: SIZE }, (_, i) => (i % 7) / 7));
    const finite = (out: Float32Array) => out.every((v) => Number.isFinite(v));
    const checked = { checkUniformity: true };
    expect(finite(await run(emulateSubgroupMatrix(module('3u', 'lid < 32u'), checked), inputs, 256))).toBe(true);
    expect(finite(await run(emulateSubgroupMatrix(module('lid % 2u', 'lid < 32u'), checked), inputs, 256))).toBe(false);
    expect(finite(await run(emulateSubgroupMatrix(module('3u', 'lid < 31u'), checked), inputs, 256))).toBe(false);
  });

  it('drops the f16 and subgroup-matrix enables, their uniformity filter and every matrix name', () => {
    const access: Access = { layout: 'row_major', offset: 0, stride: T };
    const text = emulateSubgroupMatrix(kernel({ subgroups: 2, step: 1, left: access, right: access, acc: access, out: access, oldStore: true }), { checkUniformity: true });
    expect(text).not.toMatch(/\bf16\b|chromium|subgroup_?[mM]atrix/);
    // The uniformity check's own (core WGSL) enable and filter.
    expect(text.startsWith('enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n')).toBe(true);
    expect(text).toContain('var<storage, read> a: array<f32>;');
    expect(text).toContain('sgm_lane = lid % 32u;');
  });

  it('keeps declarations: a matrix name declared twice in one scope fails to compile, as it does on the GPU', async () => {
    const { device } = await nodeGpu();
    const left = 'subgroup_matrix_left<f32, 16, 16>';
    const module = (second: string) => `@group(0) @binding(0) var<storage, read_write> buf: array<f32>;
@compute @workgroup_size(32) fn main() {
  let r = subgroupMatrixLoad<subgroup_matrix_right<f32, 16, 16>, row_major>(&buf, 0u, 16u);
  var p = subgroup_matrix_result<f32, 16, 16>();
  for (var k = 0u; k < 2u; k++) {
    let l = subgroupMatrixLoad<${left}, row_major>(&buf, k * 16u, 16u);
    p = subgroupMatrixMultiplyAccumulate(l, r, p);
    let ${second} = subgroupMatrixLoad<${left}, row_major>(&buf, k * 16u + 256u, 16u);
    p = subgroupMatrixMultiplyAccumulate(${second}, r, p);
  }
  subgroupMatrixStore<row_major>(&buf, 512u, p, 16u);
}`;
    const errors = async (wgsl: string) => (await device.createShaderModule({ code: wgsl }).getCompilationInfo()).messages.filter((m) => m.type === 'error').map((m) => m.message);
    expect(await errors(emulateSubgroupMatrix(module('l2')))).toEqual([]);
    expect((await errors(emulateSubgroupMatrix(module('l')))).join(' ')).toMatch(/redeclaration of 'l'/);
  });

  it('fails loudly on forms it does not know', () => {
    const module = (body: string, decls = '') => `@group(0) @binding(0) var<storage, read_write> buf: array<f32>;\n${decls}\n@compute @workgroup_size(32) fn main() {\n${body}\n}`;
    const left = 'subgroup_matrix_left<f32, 16, 16>';
    const load = `let m = subgroupMatrixLoad<${left}, row_major>(&buf, 0u, 16u);`;
    expect(() => emulateSubgroupMatrix(module(load.replace('&buf', '&vbuf'), '@group(0) @binding(1) var<storage, read> vbuf: array<vec4<f32>>;'))).toThrow(/array of vec4<f32>/);
    expect(() => emulateSubgroupMatrix(module(`${load} let n = subgroupMatrixTranspose(m);`))).toThrow(/unsupported subgroup-matrix builtin 'subgroupMatrixTranspose'/);
    expect(() => emulateSubgroupMatrix(module(`subgroupMatrixStore<row_major>(&buf, 0u, subgroupMatrixLoad<${left}, row_major>(&buf, 0u, 16u), 16u);`))).toThrow(/nested matrix calls/);
    expect(() =>
      emulateSubgroupMatrix(
        module(`let l = subgroupMatrixLoad<subgroup_matrix_left<f32, 8, 16>, row_major>(&buf, 0u, 16u); let r = subgroupMatrixLoad<subgroup_matrix_right<f32, 16, 16>, row_major>(&buf, 0u, 16u); let p = subgroupMatrixMultiply<f32>(l, r);`),
      ),
    ).toThrow(/more than one K/);
    expect(() => emulateSubgroupMatrix(module(load).replace('@workgroup_size(32)', '@workgroup_size(48)'))).toThrow(/not whole subgroups/);
  });
});

/**
 * Dawn's robustness for the matrix builtins, which the emulation models by default: a kernel
 * loads a left matrix (from a storage array of `a[i] = i + 1`, or a workgroup copy of it),
 * multiplies it by the identity (exact) and stores the product, so the output shows which array
 * entries the load read and where the store put them. The expected offsets and strides are
 * worked out by hand from the rule (Tint's ClampSubgroupMatrixCall): stride = max(stride,
 * min_stride); offset + stride·15 + min_stride > the array's length -> offset 0, stride
 * min_stride (min_stride 16 for 16x16 matrices).
 */
describe("the emulation's robustness for subgroup-matrix loads and stores", () => {
  interface Call {
    readonly layout: Layout;
    readonly offset: number;
    readonly stride: number;
  }
  interface Probe {
    /** Where the left matrix comes from: the storage array `a` or its copy in workgroup array `w` (300 entries). */
    readonly from: 'a' | 'w';
    readonly element: 'f32' | 'f16';
    /** Entries of `a` (the binding's length for f32; f16 ones as the f32 buffer the emulation uploads). */
    readonly length: number;
    readonly load: Call;
    readonly store: Call;
  }
  const WG = 300;
  /** Entries of the output array. */
  const OUT = 400;

  function probeKernel(k: Probe): string {
    const e = k.element;
    return `enable f16;
enable chromium_experimental_subgroup_matrix;
@group(0) @binding(0) var<storage, read> a: array<${e}>;
@group(0) @binding(1) var<storage, read> b: array<${e}>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
var<workgroup> w: array<${e}, ${WG}>;
@compute @workgroup_size(32)
fn main(@builtin(local_invocation_index) lid: u32) {
  for (var i = lid; i < ${WG}u; i += 32u) { w[i] = a[i]; }
  workgroupBarrier();
  let l = subgroupMatrixLoad<subgroup_matrix_left<${e}, 16, 16>, ${k.load.layout}>(&${k.from}, ${k.load.offset}u, ${k.load.stride}u);
  let r = subgroupMatrixLoad<subgroup_matrix_right<${e}, 16, 16>, row_major>(&b, 0u, 16u);
  let p = subgroupMatrixMultiply<f32>(l, r);
  subgroupMatrixStore<${k.store.layout}>(&out, ${k.store.offset}u, p, ${k.store.stride}u);
}`;
  }

  /** The output when the load reads and the store writes with these (effective) calls: out[store(r, c)] = a[load(r, c)] (a[i] = i + 1), zero elsewhere. */
  function outputFor(load: Call, store: Call): Float64Array {
    const out = new Float64Array(OUT);
    for (let r = 0; r < T; r++) for (let c = 0; c < T; c++) out[at(store, 0, r, c)] = at(load, 0, r, c) + 1;
    return out;
  }

  async function probe(k: Probe, options: { robustness?: boolean } = {}): Promise<Float32Array> {
    const a = Float32Array.from({ length: k.length }, (_, i) => i + 1);
    const identity = Float32Array.from({ length: T * T }, (_, i) => (i % (T + 1) === 0 ? 1 : 0));
    return run(emulateSubgroupMatrix(probeKernel(k), options), [a, identity], OUT);
  }

  const inside: Call = { layout: 'row_major', offset: 0, stride: 16 };
  const f32 = { from: 'a', element: 'f32', length: 300 } as const;

  it('redirects a load that crosses the end of a storage array to offset 0 with the minimum stride (the first entries, not zeros)', async () => {
    // 100 + 16·15 + 16 = 356 > 300.
    const k: Probe = { ...f32, load: { layout: 'row_major', offset: 100, stride: 16 }, store: inside };
    expect([...(await probe(k))]).toEqual([...outputFor({ ...k.load, offset: 0 }, inside)]);
    // The bare semantics (robustness off) read from entry 100 on: those that exist are a[100 + i].
    const bare = await probe(k, { robustness: false });
    for (let i = 0; i + 100 < k.length; i++) expect(bare[i], `entry ${i}`).toBe(101 + i);
  });

  it('keeps a load that ends exactly at the array end, redirects one entry further', async () => {
    const at48: Probe = { ...f32, length: 304, load: { layout: 'row_major', offset: 48, stride: 16 }, store: inside };
    expect([...(await probe(at48))]).toEqual([...outputFor(at48.load, inside)]); // 48 + 240 + 16 = 304
    const at49: Probe = { ...at48, load: { ...at48.load, offset: 49 } };
    expect([...(await probe(at49))]).toEqual([...outputFor({ ...at49.load, offset: 0 }, inside)]); // 305 > 304
  });

  it('redirects a column-major load past the end of a workgroup array (its declared length)', async () => {
    // Column-major: 60 + 16·15 + 16 = 316 > 300 entries of w, while a has 400.
    const k: Probe = { from: 'w', element: 'f32', length: OUT, load: { layout: 'col_major', offset: 60, stride: 16 }, store: { layout: 'col_major', offset: 0, stride: 16 } };
    expect([...(await probe(k))]).toEqual([...outputFor({ ...k.load, offset: 0 }, k.store)]);
    const atEnd: Probe = { ...k, load: { ...k.load, offset: 44 } }; // 300: unchanged
    expect([...(await probe(atEnd))]).toEqual([...outputFor(atEnd.load, k.store)]);
  });

  it('raises a stride below the minimum (the minor extent) to it', async () => {
    const row: Probe = { ...f32, load: { layout: 'row_major', offset: 3, stride: 5 }, store: inside };
    expect([...(await probe(row))]).toEqual([...outputFor({ ...row.load, stride: 16 }, inside)]);
    expect([...(await probe(row, { robustness: false }))]).toEqual([...outputFor(row.load, inside)]);
    const store: Probe = { ...f32, load: inside, store: { layout: 'col_major', offset: 7, stride: 2 } };
    expect([...(await probe(store))]).toEqual([...outputFor(inside, { ...store.store, stride: 16 })]);
  });

  it('redirects a store that would cross the end of its array, over its first entries', async () => {
    // 200 + 16·15 + 16 = 456 > 400.
    const k: Probe = { ...f32, load: { layout: 'row_major', offset: 20, stride: 17 }, store: { layout: 'row_major', offset: 200, stride: 16 } };
    expect([...(await probe(k))]).toEqual([...outputFor(k.load, { ...k.store, offset: 0 })]);
  });

  /** The rule, for 16x16 matrices: the call a load or store of an array of `length` entries makes. */
  const effective = (c: Call, length: number): Call => {
    const stride = Math.max(c.stride, T);
    return c.offset + stride * (T - 1) + T <= length ? { ...c, stride } : { layout: c.layout, offset: 0, stride: T };
  };
  const call = fc.record({ layout: fc.constantFrom<Layout>('row_major', 'col_major'), offset: fc.integer({ min: 0, max: 200 }), stride: fc.integer({ min: 1, max: 24 }) });
  test.prop([fc.constantFrom<'a' | 'w'>('a', 'w'), fc.integer({ min: WG, max: 420 }), call, call], { numRuns: 6 })(
    'moves exactly what the rule gives for random offsets, strides and array lengths, inside and across the end',
    async (from, length, load, store) => {
      const got = await probe({ from, element: 'f32', length, load, store });
      expect([...got]).toEqual([...outputFor(effective(load, from === 'a' ? length : WG), effective(store, OUT))]);
    },
  );

  it('reproduces the partial-row-tile failure seen on the GPU: a last row tile loaded and stored straight from storage leaves its rows unwritten', async () => {
    // y = x · W for 20 rows, one 16-row tile per subgroup, x and y loaded and stored in place.
    // The second tile (rows 16..31 of 20) crosses both arrays' ends: its load reads rows 0..15
    // and its store writes their product over rows 0..15 (the values the first tile writes), so
    // rows 16..19 of y are never written: zeros where the reference has x · W.
    const rows = 20;
    const wgsl = `enable f16;
enable chromium_experimental_subgroup_matrix;
@group(0) @binding(0) var<storage, read> x: array<f16>;
@group(0) @binding(1) var<storage, read> w: array<f16>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  @diagnostic(off, chromium.subgroup_matrix_uniformity) {
    let tile = lid / 32u;
    let l = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&x, tile * 256u, 16u);
    let r = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, row_major>(&w, 0u, 16u);
    let p = subgroupMatrixMultiply<f32>(l, r);
    subgroupMatrixStore<row_major>(&y, tile * 256u, p, 16u);
  }
}`;
    const rnd = rng(5);
    const x = Float32Array.from({ length: rows * T }, () => 2 * rnd() - 1);
    const w = Float32Array.from({ length: T * T }, () => 2 * rnd() - 1);
    const y = await run(emulateSubgroupMatrix(wgsl), [x, w], rows * T);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < T; j++) {
        let want = 0;
        for (let q = 0; q < T; q++) want += x[i * T + q] * w[q * T + j];
        if (i < 16) expect(Math.abs(y[i * T + j] - want), `y[${i}, ${j}]`).toBeLessThan(1e-5);
        else {
          expect(Math.abs(want), `reference y[${i}, ${j}]`).toBeGreaterThan(0);
          expect(y[i * T + j], `y[${i}, ${j}]`).toBe(0);
        }
      }
  });

  it("takes an f16 storage array's length as the real f16 buffer's (whole 16-byte units: 300 entries -> 304)", async () => {
    const f16: Probe = { from: 'a', element: 'f16', length: 300, load: { layout: 'row_major', offset: 46, stride: 16 }, store: inside };
    // 46 + 256 = 302 <= 304: not redirected; entries past a's 300 are the buffer's padding (not compared).
    const kept = await probe(f16);
    const want = outputFor(f16.load, inside);
    for (let i = 0; i < T * T; i++) if (want[i] <= f16.length) expect(kept[i], `entry ${i}`).toBe(want[i]);
    const past: Probe = { ...f16, load: { ...f16.load, offset: 49 } }; // 305 > 304
    expect([...(await probe(past))]).toEqual([...outputFor({ ...past.load, offset: 0 }, inside)]);
  });
});
