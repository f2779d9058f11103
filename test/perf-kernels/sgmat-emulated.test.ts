/**
 * Tensor-core kernels run on SwiftShader through the subgroup-matrix emulation
 * (test/support/sgmat-emulation.ts), against the float64 op reference: ks-sgmat with 1, 4, 8 and
 * 16 δ per workgroup (8 and 16 are not offered: wrong on the H100) on small Monarch factors
 * (square, rectangular, batches off the row tile and 1), every ks-sgmat-strided candidate on a
 * small strided factor, the emulation's own semantics on a hand-written kernel against a JS
 * computation, and checks that it can fail.
 * Tolerance: relative Frobenius error 1e-5 (SPEC §6 f32) where the emulated kernel computes in
 * f32 throughout; 3e-3 (SPEC §6 f16) where its f16 workgroup arrays stay f16 (packed), which
 * rounds every staged value to f16. SwiftShader compiles an emulated kernel in 0.3-20 s of CPU
 * (growing with the kernel's unrolled staging: 16 δ is the dearest), so the cases are few.
 */
import { describe, expect, it } from 'vitest';
import { monarchCase, type OpsCase } from '../../bench/cases.js';
import { nodeGpu } from '../../bench/node-gpu.js';
import { ksSgmat, SUBGROUP_MATRIX_FEATURE, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import { ksSgmatStrided } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import type { TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import type { KsOp } from '../../src/ir/ir.js';
import { rng } from '../support/programs.js';
import { emulatedEmit, emulateSubgroupMatrix, type EmulationOptions } from '../support/sgmat-emulation.js';
import { kernelError, TOL, TOL_F16 } from './support.js';

const GPU: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: ['shader-f16', SUBGROUP_MATRIX_FEATURE] };

const sgmat = (rows: number, cols: number, dtile: number, tk: number): KsSgmatSchedule => ({ family: 'ks-sgmat', rows, cols, dtile, tk });

/** Relative error of op `index` of `c` by ks-sgmat with schedule `s`, emulated, at `batch` rows. */
function sgmatError(c: OpsCase, index: number, s: KsSgmatSchedule, batch: number, options: EmulationOptions = {}): Promise<number> {
  return kernelError(c, index, 1, emulatedEmit((ctx) => ksSgmat.emit(c.ops[index] as KsOp, s, ctx), options), batch, 'f32');
}

describe('ks-sgmat, emulated, against the float64 reference', () => {
  const square = monarchCase(256, 256, 16); // K(16, 16, 16, 1) then K(1, 16, 16, 16)
  const rect = monarchCase(256, 128, 8); // K(8, 16, 32, 1) then K(1, 16, 16, 8)

  it('offers 1 and 4 δ per workgroup only', () => {
    const dtiles = new Set(ksSgmat.candidates(square.ops[1] as KsOp, GPU).map((s) => s.dtile));
    expect([...dtiles].sort((a, b) => a - b)).toEqual([1, 4]);
  });

  const cases: [string, OpsCase, number, KsSgmatSchedule, number][] = [
    ['square first factor (d = 1), 32 rows x 16 β', square, 0, sgmat(32, 16, 1, 16), 33],
    ['rectangular first factor (c = 32, two γ chunks)', rect, 0, sgmat(16, 16, 1, 16), 1],
    ['rectangular strided factor, 1 δ, 32 rows', rect, 1, sgmat(32, 16, 1, 16), 40],
    ['square strided factor, 4 δ', square, 1, sgmat(16, 16, 4, 16), 33],
    ['square strided factor, 8 δ (not offered)', square, 1, sgmat(16, 16, 8, 16), 33],
  ];
  for (const [name, c, index, s, batch] of cases)
    it(`${name} (batch ${batch})`, async () => {
      expect(await sgmatError(c, index, s, batch), JSON.stringify(s)).toBeLessThan(TOL);
    });

  it('square strided factor, 16 δ (not offered; f16 workgroup arrays packed to fit 32 KiB) (batch 17)', async () => {
    expect(await sgmatError(square, 1, sgmat(16, 16, 16, 16), 17, { packWorkgroupF16: true })).toBeLessThan(TOL_F16);
  });
});

describe('ks-sgmat-strided, every candidate on a small strided factor, emulated, against the float64 reference', () => {
  // SwiftShader's limits (256 invocations, 32 KiB), f16 workgroup arrays kept f16: SPEC §6 f16.
  const EMULATED: TargetLimits = { maxWorkgroupSize: 256, maxWorkgroupStorageBytes: 32768, features: GPU.features };
  const pairs = monarchCase(32, 32, 2); // K(2, 16, 16, 1) then K(1, 16, 16, 2)

  it('K(1, 16, 16, 2) (batch 19)', async () => {
    const op = pairs.ops[1] as KsOp;
    const all = ksSgmatStrided.candidates(op, EMULATED);
    expect(all.length).toBeGreaterThan(8);
    for (const s of all) {
      const err = await kernelError(pairs, 1, 1, emulatedEmit((ctx) => ksSgmatStrided.emit(op, s, ctx), { packWorkgroupF16: true }), 19, 'f32');
      expect(err, JSON.stringify(s)).toBeLessThan(TOL_F16);
    }
  });
});

/**
 * The emulation's own semantics, independent of any family: a hand-written kernel whose two
 * subgroups (offsets from lid / 32, under the uniformity filter the real kernels need) load a
 * left matrix row-major and a right matrix column-major at odd offsets and strides, multiply
 * with and without accumulating, and store column-major and (old call form) row-major; checked
 * entry by entry against the proposal's definitions computed here.
 */
const SEMANTICS = `enable f16;
enable chromium_experimental_subgroup_matrix;
@group(0) @binding(0) var<storage, read> a: array<f16>;
@group(0) @binding(1) var<storage, read> b: array<f16>;
@group(0) @binding(2) var<storage, read> c: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  @diagnostic(off, chromium.subgroup_matrix_uniformity) {
    let sg = lid / 32u;
    let l = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&a, 3u + sg * 7u, 20u);
    let r = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>(&b, 5u, 18u);
    var acc = subgroupMatrixLoad<subgroup_matrix_result<f32, 16, 16>, row_major>(&c, 0u, 16u);
    acc = subgroupMatrixMultiplyAccumulate(l, r, acc);
    let p = subgroupMatrixMultiply<f32>(l, r);
    subgroupMatrixStore<col_major>(&out, sg * 600u, acc, 17u);
    subgroupMatrixStore(&out, 1200u + sg * 300u, p, false, 16u);
  }
}`;

async function runSemantics(wgsl: string, a: Float32Array<ArrayBuffer>, b: Float32Array<ArrayBuffer>, c: Float32Array<ArrayBuffer>, outSize: number): Promise<Float32Array> {
  const { device } = await nodeGpu();
  const buffer = (data: Float32Array<ArrayBuffer> | number) => {
    const size = typeof data === 'number' ? data * 4 : data.byteLength;
    const buf = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    if (typeof data !== 'number') device.queue.writeBuffer(buf, 0, data);
    return buf;
  };
  const bufs = [buffer(a), buffer(b), buffer(c), buffer(outSize)];
  const module = device.createShaderModule({ code: wgsl });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: bufs.map((buf, binding) => ({ binding, resource: { buffer: buf } })) });
  const read = device.createBuffer({ size: outSize * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(1);
  pass.end();
  enc.copyBufferToBuffer(bufs[3], 0, read, 0, outSize * 4);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(read.getMappedRange().slice(0));
  read.destroy();
  for (const buf of bufs) buf.destroy();
  return out;
}

describe('the subgroup-matrix emulation', () => {
  it('loads, multiplies and stores as the subgroup-matrix proposal defines (layouts, offsets, strides, per subgroup)', async () => {
    const rnd = rng(7);
    const fill = (n: number) => Float32Array.from({ length: n }, () => 2 * rnd() - 1);
    const [a, b, c] = [fill(400), fill(300), fill(256)];
    const out = await runSemantics(emulateSubgroupMatrix(SEMANTICS), a, b, c, 1800);
    const expected = new Float64Array(1800);
    for (let sg = 0; sg < 2; sg++)
      for (let i = 0; i < 16; i++)
        for (let j = 0; j < 16; j++) {
          let p = 0;
          for (let k = 0; k < 16; k++) p += a[3 + sg * 7 + i * 20 + k] * b[5 + j * 18 + k];
          expected[sg * 600 + j * 17 + i] = p + c[i * 16 + j];
          expected[1200 + sg * 300 + i * 16 + j] = p;
        }
    // Entry by entry (the gaps the strides leave stay zero): f32 sums of 16 products.
    for (let e = 0; e < expected.length; e++) expect(Math.abs(out[e] - expected[e]), `entry ${e}`).toBeLessThan(1e-5);
  });

  it('drops the f16 and subgroup-matrix enables, the uniformity filter and every matrix name', () => {
    const text = emulateSubgroupMatrix(SEMANTICS);
    expect(text).not.toMatch(/\bf16\b|enable|diagnostic|subgroup_?[mM]atrix/);
    expect(text).toContain('var<storage, read> a: array<f32>;');
  });

  it('fails loudly on forms it does not know', () => {
    const kernel = (body: string, decls = '') =>
      `@group(0) @binding(0) var<storage, read_write> buf: array<f32>;\n${decls}\n@compute @workgroup_size(32) fn main() {\n${body}\n}`;
    const left = 'subgroup_matrix_left<f32, 16, 16>';
    expect(() => emulateSubgroupMatrix(kernel(`let m = subgroupMatrixLoad<${left}, row_major>(&vbuf, 0u, 16u);`, '@group(0) @binding(1) var<storage, read> vbuf: array<vec4<f32>>;'))).toThrow(/array of vec4<f32>/);
    expect(() => emulateSubgroupMatrix(kernel(`let m = subgroupMatrixLoad<${left}, row_major>(&buf, 0u, 16u); let n = subgroupMatrixTranspose(m);`))).toThrow(/unsupported subgroup-matrix builtin 'subgroupMatrixTranspose'/);
    expect(() => emulateSubgroupMatrix(kernel(`subgroupMatrixStore<row_major>(&buf, 0u, subgroupMatrixLoad<${left}, row_major>(&buf, 0u, 16u), 16u);`))).toThrow(/nested matrix calls/);
    expect(() =>
      emulateSubgroupMatrix(
        kernel(
          `let l = subgroupMatrixLoad<subgroup_matrix_left<f32, 8, 16>, row_major>(&buf, 0u, 16u); let r = subgroupMatrixLoad<subgroup_matrix_right<f32, 16, 16>, row_major>(&buf, 0u, 16u); let p = subgroupMatrixMultiply<f32>(l, r);`,
        ),
      ),
    ).toThrow(/more than one K/);
    expect(() => emulateSubgroupMatrix(kernel(`let m = subgroupMatrixLoad<${left}, row_major>(&buf, 0u, 16u);`).replace('@workgroup_size(32)', '@workgroup_size(48)'))).toThrow(/not whole subgroups/);
  });

  it('a corrupted ks-sgmat kernel (left tiles loaded transposed) fails the reference check', async () => {
    const c = monarchCase(256, 256, 16);
    const s = sgmat(16, 16, 1, 16);
    const broken = emulatedEmit((ctx) => {
      const k = ksSgmat.emit(c.ops[1] as KsOp, s, ctx);
      expect(k.wgsl).toContain('row_major>(&k_xs');
      return { ...k, wgsl: k.wgsl.replace('row_major>(&k_xs', 'col_major>(&k_xs') };
    });
    expect(await kernelError(c, 1, 1, broken, 17, 'f32')).toBeGreaterThan(0.1);
  });
});
