/**
 * The spec cases of issue 13 through the CLI: `check` and `build` exit 1 with a located error
 * (no stack trace, no internal error) within seconds, and `--json` prints one error object.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, scratchDir } from './helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());

const lines = (n: number, line: (i: number) => string) => Array.from({ length: n }, (_, i) => line(i)).join('\n');

const cases: readonly (readonly [string, string, string])[] = [
  ['toString argument', 'map d : 8 -> 8 = dense(toString: 4)', 'E0401'],
  ['hasOwnProperty constructor', 'map d : 8 -> 8 = hasOwnProperty()', 'E0303'],
  ['toString pattern', 'map d : 8 -> 8 = sparse(block: 2, pattern: toString(width: 1))', 'E0306'],
  ['__proto__ constructor', 'map d : 8 -> 8 = __proto__()', 'E0303'],
  ['constructor argument', 'map d : 8 -> 8 = dense(constructor: 4)', 'E0401'],
  ['monarch order 2^30', 'map d : 64 -> 64 = monarch(order: 2^30, radix: 4)', 'E0406'],
  ['monarch order 29 at 2^29', 'map d : 536870912 -> 536870912 = monarch(order: 29, radix: 2)', 'E0511'],
  ['module named then', 'module then\nmap d : 8 -> 8 = dense()', 'E0305'],
  ['1,000,000-letter map name', `map ${'a'.repeat(1_000_000)} : 8 -> 8 = dense()`, 'E0307'],
  ['240-letter module name', `module ${'m'.repeat(240)}\nmap d : 8 -> 8 = dense()`, 'E0307'],
  ['doubling references', `map m0 : 8 -> 8 = dense()\n${lines(10, (i) => `map m${i + 1} : 8 -> 8 = m${i} @ m${i}`)}`, 'E0514'],
  ['5,000-term sum', `map f : 8 -> 8 = ${Array(5000).fill('dense()').join(' + ')}`, 'E0514'],
  ['random(density: 1) with block 1 at 4096', 'map f : 4096 -> 4096 = sparse(block: 1, pattern: random(density: 1, seed: 1))', 'E0607'],
  ['band(width: 1048576) at 65536', 'map f : 65536 -> 65536 = sparse(block: 1, pattern: band(width: 1048576))', 'E0606'],
  ['band(width: 600) with block 1 at 4096', 'map f : 4096 -> 4096 = sparse(block: 1, pattern: band(width: 600))', 'E0607'],
  ['20,000 maps', lines(20_000, (i) => `map m${i} : 4 -> 4 = dense()`), 'E0308'],
];

describe.each(['check', 'build'])('monc %s of a hostile spec', (command) => {
  it.each(cases)('%s: exit 1 with a located error', async (name, source, code) => {
    const file = scratch.path(`spec_${name.replace(/[^a-z0-9]+/gi, '_')}.mon`);
    writeFileSync(file, source);
    const args = command === 'build' ? ['build', file, '--out', scratch.path('out')] : ['check', file];
    const start = performance.now();
    const r = await cli(args);
    expect((performance.now() - start) / 1000).toBeLessThan(10);
    expect(r.code).toBe(1);
    const first = r.stderr.split('\n')[0];
    expect(first.startsWith(`${file}:`)).toBe(true);
    expect(first).toMatch(/^[^\n]*:\d+:\d+: error: /);
    expect(first.endsWith(`[${code}]`)).toBe(true);
    expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
    expect(r.stderr.length).toBeLessThan(5000);
  });
});

describe('monc check --json of a hostile spec', () => {
  it('prints one object with the diagnostics', async () => {
    const file = scratch.path('json.mon');
    writeFileSync(file, 'map d : 8 -> 8 = hasOwnProperty()');
    const r = await cli(['check', file, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.error.kind).toBeDefined();
    expect(JSON.stringify(out)).toContain('E0303');
  });
});
