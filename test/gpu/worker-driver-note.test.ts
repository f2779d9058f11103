/**
 * In a worker thread monc cannot choose the Vulkan driver (QA2 s30 Q956): it sets VK_ICD_FILENAMES in process.env,
 * which in a worker is the thread's own copy, never read by the Vulkan loader. Where that choice was needed (no driver
 * variable set, no hardware ICD: SwiftShader in the main thread) the worker finds no adapter, and its note says why and
 * what to do instead of the main thread's "no usable driver". A process of its own without the driver variables, with
 * node-device as it is now; the main thread never touches monc.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SWIFTSHADER_ICD, vulkanEnvironment, vulkanPlan, WORKER_DRIVER_NOTE } from '../../src/runtime/node-device.js';
import { transpileForNode } from '../support/transpile-for-node.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'monc-worker-driver-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("a worker thread that needed monc's driver choice says it cannot make it there, and what to do", () => {
  const { VK_ICD_FILENAMES: _i, VK_DRIVER_FILES: _d, VK_ADD_DRIVER_FILES: _a, ...env } = process.env;
  // The case monc chooses for: SwiftShader, the only driver (this machine and CI; elsewhere the loader finds one itself).
  expect(vulkanPlan(vulkanEnvironment(env, env.HOME ?? '/', 'linux'))).toEqual([SWIFTSHADER_ICD]);
  const lib = transpileForNode(join(dir, 'lib'), join(root, 'src/runtime/node-device.ts'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const device = JSON.stringify(join(lib, root, 'src/runtime/node-device.js'));
  const worker = `const { dawnProvider } = await import(${device}); const { parentPort } = await import('node:worker_threads');
    const { adapter, note } = await dawnProvider.requestAdapter(); parentPort.postMessage({ adapter: adapter !== null, note });`;
  writeFileSync(join(dir, 'worker.mjs'), worker);
  const script = `const { Worker } = await import('node:worker_threads');
    new Worker(${JSON.stringify(join(dir, 'worker.mjs'))}, { execArgv: [] }).on('message', (m) => { console.log(JSON.stringify(m)); process.exit(0); });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({ adapter: false, note: `Dawn found no adapter (${WORKER_DRIVER_NOTE})` });
  // Since monc/runtime/node chooses the drivers as it loads (Q1053), importing it in the main thread is the shortest of
  // the ways the note offers (QA2 s31 Q1056: the note named only the older ones).
  expect(WORKER_DRIVER_NOTE).toContain('import monc/runtime/node (or create a runner) in the main thread first');
  const importedFirst = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${device}); ${script}`], { env, encoding: 'utf8', timeout: 60_000 });
  expect(importedFirst.status, importedFirst.stderr).toBe(0);
  expect(JSON.parse(importedFirst.stdout).adapter).toBe(true);
});
