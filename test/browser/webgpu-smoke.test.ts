/**
 * The environment the other browser tests stand on: headless Chromium exposes a WebGPU adapter
 * (SwiftShader) to a page served from 127.0.0.1, and a compute shader runs on it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchWebGpuChromium, type WebGpuBrowser } from './chromium.js';
import { serveStatic, type StaticServer } from './static-server.js';

let browser: WebGpuBrowser;
let server: StaticServer;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'monc-smoke-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>smoke</title>');
  server = await serveStatic(root);
  browser = await launchWebGpuChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

it('runs a compute shader on the page WebGPU adapter', async () => {
  const page = await browser.context.newPage();
  await page.goto(server.url);
  const result = await page.evaluate(async () => {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return { error: 'no WebGPU adapter' };
    const device = await adapter.requestDevice();
    const module = device.createShaderModule({
      code: '@group(0) @binding(0) var<storage, read_write> b: array<f32>;\n@compute @workgroup_size(4) fn main(@builtin(global_invocation_id) i: vec3u) { b[i.x] = f32(i.x) * 1.5; }',
    });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const storage = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const readback = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: storage } }] });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(1);
    pass.end();
    encoder.copyBufferToBuffer(storage, 0, readback, 0, 16);
    device.queue.submit([encoder.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    return { values: [...new Float32Array(readback.getMappedRange())], architecture: adapter.info.architecture };
  });
  expect(result).toEqual({ values: [0, 1.5, 3, 4.5], architecture: 'swiftshader' });
});
