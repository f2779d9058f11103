/** The plugins' tuning database: an unusable one gives an untuned build and a warning, never a failed build. */
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { tuningSource } from '../../src/plugin/tuning.js';
import { scratchDir } from '../cli/helpers.js';

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
