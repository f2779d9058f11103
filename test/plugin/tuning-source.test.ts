/**
 * The plugins' tuning database: an unusable one, or one the option names that does not exist, gives an
 * untuned build and a warning, never a failed build; a relative path is against the project root.
 */
import * as esbuild from 'esbuild';
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { monc } from '../../src/plugin/index.js';
import { tuningSource } from '../../src/plugin/tuning.js';
import { scratchDir } from '../cli/helpers.js';
import { firstSchedule, RUNTIME_SOURCE, tempProject, tunedDb } from './fixtures.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());

it('a database that is a directory or over 64 MiB: no lookup, a one-line warning', () => {
  mkdirSync(scratch.path('dir.json'));
  writeFileSync(scratch.path('huge.json'), '');
  truncateSync(scratch.path('huge.json'), 65 * 1024 * 1024);
  for (const [name, why] of [['dir.json', 'is a directory'], ['huge.json', '65 MiB is over the limit of 64 MiB']]) {
    const state = tuningSource(scratch.dir, name).current();
    expect(state.lookup).toBeUndefined();
    expect(state.warning).toMatch(new RegExp(`^cannot read tuning database '[^']*${name}': [^\\n]*${why}[^\\n]*; building untuned$`));
  }
});

it('a database the tuning option names that does not exist: no lookup, a warning naming it (a typo must not ship an untuned bundle silently)', () => {
  const state = tuningSource(scratch.dir, 'tunnig.json').current();
  expect(state.lookup).toBeUndefined();
  expect(state.warning).toBe(`tuning database '${scratch.path('tunnig.json')}' (the tuning option) does not exist: building untuned`);
});

it('the default database not written yet: untuned without a warning', () => {
  const before = process.env.MONC_TUNING_DB;
  process.env.MONC_TUNING_DB = scratch.path('not-yet/tuning.json');
  try {
    expect(tuningSource(scratch.dir, undefined).current()).toEqual({});
  } finally {
    if (before === undefined) delete process.env.MONC_TUNING_DB;
    else process.env.MONC_TUNING_DB = before;
  }
});

it("esbuild: a relative tuning path is against the build's absWorkingDir, not the process's directory", async () => {
  const project = tempProject({ 'sp.mon': 'module sp\nmap s : 16 -> 16 = monarch(nblocks: 4)\n', 'main.js': "export { s } from './sp.mon';\n" });
  try {
    const tuned = tunedDb(join(project.root, 'sp.mon'));
    project.write('tuning.json', tuned.text);
    expect(process.cwd()).not.toBe(project.root);
    const result = await esbuild.build({
      absWorkingDir: project.root,
      entryPoints: ['main.js'],
      bundle: true,
      format: 'esm',
      write: false,
      external: [RUNTIME_SOURCE],
      plugins: [monc.esbuild({ runtime: RUNTIME_SOURCE, dts: false, tuning: 'tuning.json' })],
      logLevel: 'silent',
    });
    expect(result.warnings).toEqual([]);
    expect(firstSchedule(result.outputFiles[0].text)).toEqual(tuned.schedule);
  } finally {
    project.remove();
  }
});
