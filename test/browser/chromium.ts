/**
 * Headless Chromium with WebGPU for the browser tests: Debian's /usr/bin/chromium driven by
 * playwright-core. `--use-webgpu-adapter=swiftshader` gives a WebGPU adapter without a GPU
 * (Dawn on SwiftShader); a fresh profile per launch and no background services keep runs
 * independent and offline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.MONC_CHROMIUM ?? '/usr/bin/chromium';

const FLAGS = [
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  // The tests run as root in a container, where Chromium's sandbox cannot start.
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--no-default-browser-check',
];

export interface WebGpuBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium with a throwaway profile; `close` removes it again. */
export async function launchWebGpuChromium(): Promise<WebGpuBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'monc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: FLAGS,
    timeout: 60_000,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
