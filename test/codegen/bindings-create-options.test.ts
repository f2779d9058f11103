/**
 * A generated class's `create` from JavaScript (QA2 s30 Q955): a dtype given stays in the options MapRunner checks, so
 * one that is not the module's is refused as MapRunner.create refuses it (the class replaced it with the module's, and
 * `dtype: 'f16'` on an f32 module resolved), the module's own one runs; an array or a Map as the options is refused by
 * its class (spread, it was an empty options object).
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
// The map runs on the CPU backend, an opt-in entry of the runtime.
import '../../src/runtime/cpu.js';
import { scratchDir } from '../support/typescript.js';
import { expectMoncError } from '../support/user-error.js';

it("a generated create refuses a dtype that is not the module's and options that are no plain object", async () => {
  const dir = scratchDir('create-options');
  const runtime = fileURLToPath(new URL('../../src/runtime/index.js', import.meta.url));
  const result = compileModule('module m\nmap up : 4 -> 4 = dense()\n', 'm.mon', { runtimeImport: relative(dir, runtime) });
  writeFileSync(`${dir}/m.ts`, result.outputs!.ts);
  const { Up } = (await import(/* @vite-ignore */ pathToFileURL(`${dir}/m.ts`).href)) as { Up: { create(o?: unknown): Promise<{ destroy(): void }> } };
  await expectMoncError(() => Up.create({ backend: 'cpu', dtype: 'f16' }), 'user', "map 'up': dtype must be 'f32' (this module's), got 'f16' (a string)");
  await expectMoncError(() => Up.create([]), 'user', "map 'up': options must be an object, got Array");
  await expectMoncError(() => Up.create(new Map()), 'user', "map 'up': options must be an object, got Map");
  for (const options of [{ backend: 'cpu', dtype: 'f32' }, { backend: 'cpu' }]) (await Up.create(options)).destroy();
});
