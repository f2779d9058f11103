/**
 * A Dawn instance of the user's own, made after monc/runtime/node is loaded (runtime.md's create({ device }): `create([])`
 * of the webgpu package, then requestAdapter()), finds the driver monc's own instance would (QA2 s31 Q1053): where
 * SwiftShader is the only driver (this machine and CI), which the Vulkan loader does not find unaided, it found none
 * ('Found no drivers!', a null adapter) until monc's first adapter request chose it. A process of its own without the
 * driver variables, node-device as it is now; no monc call is made.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SWIFTSHADER_ICD, vulkanEnvironment, vulkanPlan } from '../../src/runtime/node-device.js';
import { transpileForNode } from '../support/transpile-for-node.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'monc-own-instance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a webgpu instance of the user\'s own, made once monc/runtime/node is loaded, finds an adapter where monc would', () => {
  const { VK_ICD_FILENAMES: _i, VK_DRIVER_FILES: _d, VK_ADD_DRIVER_FILES: _a, ...env } = process.env;
  // The case monc chooses for: SwiftShader, the only driver.
  expect(vulkanPlan(vulkanEnvironment(env, env.HOME ?? '/', 'linux'))).toEqual([SWIFTSHADER_ICD]);
  const lib = transpileForNode(join(dir, 'lib'), join(root, 'src/runtime/node-device.ts'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const device = JSON.stringify(join(lib, root, 'src/runtime/node-device.js'));
  const script = `await import(${device}); const { create } = await import('webgpu');
    const adapter = await create([]).requestAdapter(); console.log(JSON.stringify({ adapter: adapter !== null, icds: process.env.VK_ICD_FILENAMES ?? null })); process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ adapter: true, icds: SWIFTSHADER_ICD });
  expect(r.stderr).not.toContain('Found no drivers');
});
