import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MONC_VERSION } from '../../src/version.js';

describe('MONC_VERSION', () => {
  it('matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(MONC_VERSION).toBe(pkg.version);
  });
});
