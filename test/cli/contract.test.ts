/** Regression tests (issue 13) for small points of the CLI contract. */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { exactInteger, formatCount } from '../../src/cli/table.js';
import { formatJson } from '../../src/util/json.js';
import { cli, scratchDir } from './helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());

describe('--json on a usage error', () => {
  for (const [what, args, message] of [
    ['an unknown option', ['check', 'x.mon', '--frob', '--json'], "unknown option '--frob'"],
    ['a missing --map', ['init', 'x.mon', '--out', 'p.safetensors', '--json'], "required option '--map <name>' not specified"],
  ] as const)
    it(`prints the error object on stdout for ${what}, exit 2`, async () => {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(JSON.parse(r.stdout)).toEqual({ error: { kind: 'usage', message } });
      expect(r.stderr).toContain(message);
    });

  it('without --json, stdout stays empty', async () => {
    const r = await cli(['check', 'x.mon', '--frob']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});

describe('counts print exactly', () => {
  it('2^58 ends in …744 in text and JSON', async () => {
    expect(formatCount(2 ** 58)).toBe('288,230,376,151,711,744');
    expect(exactInteger(2 ** 60 + 2 ** 12)).toBe((2n ** 60n + 2n ** 12n).toString());
    expect(formatJson({ n: 2 ** 58, a: [2 ** 58, 1] })).toBe('{\n  "n": 288230376151711744,\n  "a": [288230376151711744, 1]\n}');
    const spec = scratch.path('big.mon');
    writeFileSync(spec, 'module big\nmap d : 2^29 -> 2^29 = lowrank(rank: 1)\n');
    const text = await cli(['check', spec]);
    expect(text.stdout).toContain('288,230,376,151,711,744');
    const json = await cli(['check', spec, '--json']);
    expect(json.stdout).toContain('"params": 288230376151711744');
  });
});
