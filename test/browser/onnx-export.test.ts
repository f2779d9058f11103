/**
 * An exported model in the browser: headless Chromium loads onnxruntime-web from a local static
 * server and runs a monc ONNX export on the WASM backend, and on the WebGPU backend where the
 * page has an adapter (SwiftShader here); both equal the float64 reference. An f16 export runs on
 * the WASM backend as docs/export.md shows it, converted with monc's f16 helpers (bundled for the
 * page): Chromium has Float16Array, so onnxruntime-web's float16 output holds values, not bits.
 */
import * as esbuild from 'esbuild';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exportOnnx } from '../../src/export/onnx.js';
import { checkedModule, randomInput, randomParams, referenceY, relativeError } from '../export/onnx-harness.js';
import { launchWebGpuChromium, type WebGpuBrowser } from './chromium.js';
import { serveStatic, type StaticServer } from './static-server.js';

const SOURCE = 'map f : 48 -> 80 = monarch(nblocks: 4) + sparse(block: 8, pattern: band(width: 2)) @ transpose(6, 8) + bias()';
const BATCH = 3;

/** The page's module script: runs f.onnx on each execution provider (kept out of vitest's transform). */
const PAGE_SCRIPT = `
import * as ort from '/ort/ort.webgpu.min.mjs';
ort.env.wasm.numThreads = 1; // the page is not cross-origin isolated: no SharedArrayBuffer
window.runModel = async (x, batch, n) => {
  const model = new Uint8Array(await (await fetch('/f.onnx')).arrayBuffer());
  const out = {};
  for (const ep of ['wasm', 'webgpu']) {
    try {
      const session = await ort.InferenceSession.create(model, { executionProviders: [ep] });
      const result = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [batch, n]) });
      out[ep] = Array.from(result.y.data);
      await session.release();
    } catch (e) {
      out[ep] = 'failed: ' + String(e);
    }
  }
  return { out, adapter: !!(await navigator.gpu?.requestAdapter()) };
};
window.runF16Model = async (x, batch, n) => {
  const { f16ArrayToF32, f32ArrayToF16 } = await import('/f16.mjs');
  const model = new Uint8Array(await (await fetch('/f16.onnx')).arrayBuffer());
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  const { y } = await session.run({ x: new ort.Tensor('float16', f32ArrayToF16(x), [batch, n]) });
  await session.release();
  return { data: y.data.constructor.name, y: Array.from(f16ArrayToF32(y.data)) };
};`;

interface PageApi {
  runModel(x: number[], batch: number, n: number): Promise<{ out: Record<string, number[] | string>; adapter: boolean }>;
  runF16Model(x: number[], batch: number, n: number): Promise<{ data: string; y: number[] }>;
}

let browser: WebGpuBrowser;
let server: StaticServer;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'monc-onnx-web-'));
  // The page imports onnxruntime-web's ESM build, which fetches its .wasm from the same folder.
  symlinkSync(resolve('node_modules/onnxruntime-web/dist'), join(root, 'ort'));
  // monc's f16 helpers as the page imports them from monc/runtime (one module, bundled).
  const f16 = await esbuild.build({ entryPoints: ['src/runtime/formats/f16.ts'], bundle: true, format: 'esm', platform: 'browser', write: false });
  writeFileSync(join(root, 'f16.mjs'), f16.outputFiles[0].text);
  writeFileSync(join(root, 'index.html'), `<!doctype html><title>onnx</title><script type="module">${PAGE_SCRIPT}</script>`);
  server = await serveStatic(root);
  browser = await launchWebGpuChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

it('onnxruntime-web runs the exported model like the float64 reference (wasm and webgpu)', async () => {
  const module = checkedModule(SOURCE);
  const map = module.maps[0];
  const params = randomParams(module, 'f', 4);
  writeFileSync(join(root, 'f.onnx'), exportOnnx({ map, dtype: 'f32', params }));
  const x = randomInput(BATCH * map.in, 8, 'f32');
  const page = await browser.context.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => 'runModel' in window);
  const results = await page.evaluate(([x, batch, n]) => (window as unknown as PageApi).runModel(x as number[], batch as number, n as number), [Array.from(x), BATCH, map.in]);
  const want = referenceY(module, 'f', params, x, BATCH);
  const wasm = results.out.wasm;
  if (typeof wasm === 'string') throw new Error(wasm);
  expect(relativeError(wasm, want)).toBeLessThan(1e-5);
  expect(results.adapter).toBe(true);
  const webgpu = results.out.webgpu;
  if (typeof webgpu === 'string') throw new Error(webgpu);
  expect(relativeError(webgpu, want)).toBeLessThan(1e-5);
});

it("an f16 export in onnxruntime-web: f32ArrayToF16 in, f16ArrayToF32 out (a Float16Array output, taken by value) within the f16 tolerance", async () => {
  const module = checkedModule(`dtype f16\n${SOURCE}`);
  const map = module.maps[0];
  const params = randomParams(module, 'f', 5);
  writeFileSync(join(root, 'f16.onnx'), exportOnnx({ map, dtype: 'f16', params }));
  const x = randomInput(BATCH * map.in, 9, 'f16');
  const page = await browser.context.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => 'runF16Model' in window);
  const result = await page.evaluate(([x, batch, n]) => (window as unknown as PageApi).runF16Model(x as number[], batch as number, n as number), [Array.from(x), BATCH, map.in]);
  // What the browser gives decides which conversion path this covers: Chromium has Float16Array.
  expect(result.data).toBe('Float16Array');
  expect(relativeError(result.y, referenceY(module, 'f', params, x, BATCH))).toBeLessThan(3e-3);
});
