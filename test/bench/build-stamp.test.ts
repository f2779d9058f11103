/**
 * A device call's log.txt names the build it ran: the carried .gdist's BUILD stamp (written by npm run build's
 * postbuild, scripts/build-stamp.mjs), not the git of the checkout the call runs in, which sessions 30 and 31 logged as
 * 'build of 524f0329' for a carried 8193df9 / 7f6724e. common.sh sourced in a folder that is no git checkout, with and
 * without a stamp.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'monc-build-stamp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** common.sh's log for a build carried as `gdist` (the call scripts' GDIST; unset: .gdist) holding `stamp`. */
function logOf(stamp: string | undefined, gdist?: string): string {
  const tree = mkdtempSync(join(dir, 'tree-'));
  const folder = gdist ?? '.gdist';
  cpSync(join(root, 'bench/results/s8/scripts/common.sh'), join(tree, 'bench/results/s8/scripts/common.sh'), { recursive: true });
  if (stamp !== undefined) {
    mkdirSync(join(tree, folder), { recursive: true });
    writeFileSync(join(tree, folder, 'BUILD'), `${stamp}\n`);
  }
  const out = join(tree, 'out');
  mkdirSync(out);
  const { GDIST: _unset, ...env } = process.env;
  const r = spawnSync('bash', ['-c', '. bench/results/s8/scripts/common.sh'], {
    cwd: tree, env: { ...env, OUT: out, PATH: '/usr/bin:/bin', ...(gdist === undefined ? {} : { GDIST: gdist }) }, encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(join(out, 'log.txt'), 'utf8');
}

it("names the carried .gdist's stamp, or says it has none", () => {
  expect(logOf('7f6724e-dirty').split('\n')).toContain('build of 7f6724e-dirty (the carried .gdist)');
  expect(logOf(undefined).split('\n')).toContain('build: .gdist has no BUILD stamp (built before it, or not carried)');
});

it('names the stamp of the build the call script runs, GDIST where set (REV31-6)', () => {
  expect(logOf('aed3631', '.tmp/perf-gd').split('\n')).toContain('build of aed3631 (the carried .tmp/perf-gd)');
});

it('npm run build writes the stamp: git describe of the tree (scripts/build-stamp.mjs)', () => {
  const r = spawnSync(process.execPath, [join(root, 'scripts/build-stamp.mjs')], { cwd: root, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const described = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: root, encoding: 'utf8' }).stdout.trim();
  expect(readFileSync(join(root, 'dist/BUILD'), 'utf8')).toBe(`${described}\n`);
});
