/**
 * Drives the playground (examples/playground, built with Vite) in headless Chromium: a spec with
 * an error shows the located diagnostic inline; the fixed spec shows its WGSL and the pictures
 * of its structure; a map runs on the page's WebGPU adapter within 1e-5 of the reference; an
 * uploaded low-rank .npy projects onto `lowrank` exactly; the page's screenshot is not blank.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { writeNpy } from '../../src/runtime/formats/npy.js';
import { REPO } from '../plugin/fixtures.js';
import { launchWebGpuChromium, type WebGpuBrowser } from './chromium.js';
import { serveStatic, type StaticServer } from './static-server.js';

const BROKEN = `module demo
const d = 64
map mix : d -> d = monarch(nblocks: q)
map low : d -> d = lowrank(rank: 4)
`;
const FIXED = BROKEN.replace('nblocks: q', 'nblocks: 8');

let outDir: string;
let server: StaticServer;
let browser: WebGpuBrowser;
let page: Page;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'monc-playground-'));
  const root = join(REPO, 'examples/playground');
  await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  server = await serveStatic(outDir);
  browser = await launchWebGpuChromium();
  page = await browser.context.newPage();
  // Chromium rendering through SwiftShader on CI's 2 cores took over Playwright's default 30 s for a full-page screenshot
  // and then a click (sessions 19 and 20, twice each); the test's own timeout bounds the whole.
  page.setDefaultTimeout(120_000);
  await page.goto(server.url);
  await waitForState('ok');
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(outDir, { recursive: true, force: true });
});

/** Waits until a result line has its final text (not empty, not a progress message). */
async function finalText(selector: string): Promise<string> {
  await page.waitForFunction((sel) => /^(?!running)./.test(document.querySelector(sel)!.textContent ?? ''), selector, { timeout: 30_000 });
  return (await page.textContent(selector))!;
}

function waitForState(state: 'ok' | 'errors'): Promise<unknown> {
  return page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout: 20_000 });
}

/** How many pixels of a PNG differ from its most common colour, decoded by the page itself. */
function nonBackgroundPixels(png: Buffer): Promise<number> {
  return page.evaluate(async (dataUrl) => {
    const image = new Image();
    image.src = dataUrl;
    await image.decode();
    const canvas = Object.assign(document.createElement('canvas'), { width: image.width, height: image.height });
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const data = new Uint32Array(context.getImageData(0, 0, image.width, image.height).data.buffer);
    const counts = new Map<number, number>();
    for (const pixel of data) counts.set(pixel, (counts.get(pixel) ?? 0) + 1);
    return data.length - Math.max(...counts.values());
  }, `data:image/png;base64,${png.toString('base64')}`);
}

it('shows a located diagnostic for a spec with an error, then WGSL and structure pictures once fixed', async () => {
  await page.fill('#editor', BROKEN);
  await waitForState('errors');
  expect(await page.textContent('#diagnostics li.error')).toMatch(/^playground\.mon:3:37: error: .*'q'.*\[E\d+\]/);
  expect(await page.textContent('#backdrop mark.error')).toBe('q');
  expect(await page.textContent('#gutter .error')).toBe('3');
  expect(await page.textContent('#wgsl')).toBe('');

  await page.fill('#editor', FIXED);
  await waitForState('ok');
  expect(await page.locator('#diagnostics li').count()).toBe(0);
  expect(await page.textContent('#wgsl')).toContain('@compute');
  expect(await page.textContent('#ir')).toContain('program mix : 64 -> 64');
  // M and the two Monarch factors, each drawn with colour (not just the white of absent entries).
  const drawn = await page.$$eval('#pictures canvas', (canvases) =>
    canvases.map((c) => {
      const { data } = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height);
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] !== 255 || data[i + 1] !== 255 || data[i + 2] !== 255) coloured++;
      return { width: (c as HTMLCanvasElement).width, coloured };
    }),
  );
  expect(drawn.map((d) => d.width)).toEqual([64, 64, 64]);
  // Dense M is full; each factor of monarch(nblocks: 8) on 64 has 8 blocks of 8x8 = 512 entries.
  expect(drawn.map((d) => d.coloured)).toEqual([64 * 64, 512, 512]);
  expect(await page.textContent('#summary')).toContain('1,024');

  // Kept under test/.tmp (ignored by git) so a person can look at what the test saw.
  const screenshot = await page.screenshot({ fullPage: true, path: 'test/.tmp/playground.png' });
  expect(await nonBackgroundPixels(screenshot)).toBeGreaterThan(20_000);
});

it('runs the selected map on the page WebGPU adapter within 1e-5 of the reference', async () => {
  await page.click('#run');
  const text = await finalText('#run-result');
  expect(text).toContain('swiftshader');
  // Which kernel set ran and its storage, and the tolerance of that storage (f32 here: SwiftShader has no shader-f16).
  expect(text).toMatch(/\(kernel set [\w-]+, f32 storage\).* \(within 1e-5\)/);
  const error = await page.getAttribute('#run-result', 'data-relative-error');
  expect(error, text).not.toBeNull();
  expect(Number(error)).toBeLessThan(1e-5);
});

it('projects an uploaded low-rank matrix onto lowrank exactly', async () => {
  await page.selectOption('#map', 'low');
  // W = A B with A (64 x 4), B (4 x 64): rank 4.
  const a = Array.from({ length: 64 * 4 }, (_, i) => Math.sin(i * 0.7));
  const b = Array.from({ length: 4 * 64 }, (_, i) => Math.cos(i * 0.3));
  const w = Array.from({ length: 64 * 64 }, (_, k) => {
    const [i, j] = [Math.floor(k / 64), k % 64];
    return a[i * 4] * b[j] + a[i * 4 + 1] * b[64 + j] + a[i * 4 + 2] * b[128 + j] + a[i * 4 + 3] * b[192 + j];
  });
  await page.setInputFiles('#npy', { name: 'w.npy', mimeType: 'application/octet-stream', buffer: Buffer.from(writeNpy(w, [64, 64])) });
  const text = await finalText('#project-result');
  const error = await page.getAttribute('#project-result', 'data-relative-error');
  expect(error, text).not.toBeNull();
  expect(Number(error)).toBeLessThan(1e-5);
  expect(await page.textContent('#params-label')).toContain('projected from w.npy');
});
