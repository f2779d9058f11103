/**
 * End to end: builds examples/vite-app (which imports a .mon file) with Vite and the monc
 * plugin, serves the bundle from 127.0.0.1, and runs it in headless Chromium: the page computes
 * a Monarch, a butterfly and a sparse + low-rank map on the browser's WebGPU adapter
 * (SwiftShader) and compares each with the float64 reference. The bundle must hold no Node
 * built-ins (Vite would stub them as `__vite-browser-external`).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { monc } from '../../src/plugin/index.js';
import { REPO, RUNTIME_SOURCE } from '../plugin/fixtures.js';
import { typeErrors } from '../plugin/type-check.js';
import { launchWebGpuChromium, type WebGpuBrowser } from './chromium.js';
import { serveStatic, type StaticServer } from './static-server.js';

interface MapResult {
  readonly map: string;
  readonly adapter: string;
  readonly relativeError: number;
}
/** What examples/vite-app/src/main.ts leaves on `window`. */
type AppWindow = Window & { moncResults?: { results: MapResult[] } | { error: string } };

let work: string;
let outDir: string;
let server: StaticServer;
let browser: WebGpuBrowser;

beforeAll(async () => {
  // Built from a copy (in the ignored .tmp/, so that node_modules resolves for the type check),
  // so the declarations the plugin writes stay out of the example's folder.
  mkdirSync(join(REPO, '.tmp'), { recursive: true });
  work = mkdtempSync(join(REPO, '.tmp', 'vite-app-'));
  cpSync(join(REPO, 'examples/vite-app'), work, { recursive: true, filter: (src) => !/(node_modules|dist|\.mon\.d\.ts)$/.test(src) });
  outDir = join(work, 'dist');
  await build({
    root: work,
    configFile: false,
    logLevel: 'warn',
    // What `monc/vite` and `monc/runtime` are once the package is built.
    plugins: [monc.vite()],
    resolve: { alias: { 'monc/runtime': RUNTIME_SOURCE } },
    build: { outDir, target: 'es2022' },
  });
  server = await serveStatic(outDir);
  browser = await launchWebGpuChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

it('type-checks against the declarations the build wrote', () => {
  const main = join(work, 'src/main.ts');
  expect(readFileSync(join(work, 'src/maps.mon.d.ts'), 'utf8')).toContain('export declare class Pf');
  expect(typeErrors([main]).get(main)).toEqual([]);
});

it('bundles no Node built-ins', () => {
  const assets = join(outDir, 'assets');
  const code = readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(join(assets, f), 'utf8'))
    .join('\n');
  expect(code).toContain('@compute');
  expect(code).not.toContain('__vite-browser-external');
  expect(code).not.toMatch(/from\s*["']node:/);
});

it('runs Monarch, butterfly and sparse + low-rank maps on the page WebGPU adapter, matching the reference', async () => {
  const page = await browser.context.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(String(e)));
  await page.goto(server.url);
  await page.waitForFunction(() => (window as AppWindow).moncResults !== undefined, undefined, { timeout: 60_000 });
  const outcome = await page.evaluate(() => (window as AppWindow).moncResults!);
  if (!('results' in outcome)) throw new Error(`the page failed: ${outcome.error}\n${logs.join('\n')}`);
  const { results } = outcome;
  expect(results.map((r) => r.map)).toEqual(['up', 'mixer', 'pf']);
  for (const r of results) {
    expect(r.adapter).toContain('swiftshader');
    expect(r.relativeError, r.map).toBeLessThan(1e-5);
  }
  expect(await page.locator('#results tr').count()).toBe(4);
});
