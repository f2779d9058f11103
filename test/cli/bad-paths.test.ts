/**
 * Regression tests (issue 13) for files and paths the CLI reads and writes: every bad case ends
 * in exit 1 with one line on stderr, no stack trace, and leaves outputs as they were.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadUserDb } from '../../src/cli/tuning.js';
import { writeNpy } from '../../src/runtime/formats/npy.js';
import { cli, scratchDir, type CliRun } from './helpers.js';

const SPEC = 'module paths\nmap m : 8 -> 8 = monarch(nblocks: 2)\n';
const scratch = scratchDir();
const spec = scratch.path('paths.mon');
const params = scratch.path('m.safetensors');
const input = scratch.path('x.npy');

beforeAll(async () => {
  writeFileSync(spec, SPEC);
  writeFileSync(input, writeNpy(new Float32Array(16).fill(1), [2, 8]));
  expect((await cli(['init', spec, '--map', 'm', '--out', params])).code).toBe(0);
});
afterAll(() => scratch.remove());

/** Exit 1, a single `monc: error:` line matching `message`, nothing on stdout. */
function expectUserError(r: CliRun, message: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(/^monc: error: [^\n]*\n$/);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
}

const fifo = (name: string): string => {
  const path = scratch.path(name);
  execFileSync('mkfifo', [path]);
  return path;
};

const run = (overrides: { params?: string; input?: string; out?: string } = {}) =>
  cli(['run', spec, '--map', 'm', '--params', overrides.params ?? params, '--input', overrides.input ?? input, '--out', overrides.out ?? scratch.path('y.npy'), '--backend', 'cpu']);

describe('reading files the user names', () => {
  it('refuses a directory, a FIFO (without blocking) and /dev/zero as a spec', async () => {
    expectUserError(await cli(['check', scratch.dir]), /is a directory, not a regular file/);
    expectUserError(await cli(['check', fifo('spec.fifo')]), /is a FIFO \(named pipe\), not a regular file/);
    expectUserError(await cli(['check', '/dev/zero']), /is a character device, not a regular file/);
  });

  it('refuses /dev/zero and FIFOs as parameters and inputs', async () => {
    expectUserError(await run({ params: '/dev/zero' }), /cannot read safetensors file '\/dev\/zero': it is a character device/);
    expectUserError(await run({ input: '/dev/zero' }), /cannot read \.npy array '\/dev\/zero'/);
    expectUserError(await run({ input: fifo('x.fifo') }), /FIFO/);
  });

  it('refuses a spec over its size bound before reading it', async () => {
    const big = scratch.path('big.mon');
    writeFileSync(big, '');
    truncateSync(big, 64 * 1024 * 1024);
    expectUserError(await cli(['check', big]), /64 MiB is over the limit of 4 MiB for a spec/);
  });

  it('says which format a file is when it is given for the other', async () => {
    expectUserError(await run({ params: input }), /x\.npy: is a \.npy file, not a safetensors file/);
    expectUserError(await run({ input: params }), /m\.safetensors: is a safetensors file, not a \.npy file/);
  });

  it('a mask that is /dev/zero or a FIFO is a located spec error, not a hang', async () => {
    for (const mask of ['/dev/zero', fifo('mask.fifo')]) {
      const file = scratch.path('masked.mon');
      writeFileSync(file, `module masked\nmap s : 8 -> 8 = sparse(block: 4, pattern: "${mask}")\n`);
      const r = await cli(['check', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot read mask "[^"]+": it is a (character device|FIFO \(named pipe\)), not a regular file/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('writing outputs', () => {
  // A mkdir loop (what this was) never ends: the test's timeout, not a clock here, catches one.
  it('--out under /proc fails with one line (no mkdir loop)', async () => {
    expectUserError(await run({ out: '/proc/nope/y.npy' }), /cannot write '\/proc\/nope\/y\.npy': cannot create directory '\/proc\/nope'/);
    expectUserError(await cli(['init', spec, '--map', 'm', '--out', '/proc/nope/a.safetensors']), /cannot create directory/);
  });

  it('every command that computes before it writes refuses an --out directory that cannot be created before any work', async () => {
    const out = (name: string) => `/proc/nope/${name}`;
    const cannot = (name: string) => new RegExp(`cannot write '/proc/nope/${name.replace('.', '\\.')}': cannot create directory '/proc/nope'`);
    // train printed its progress lines (the whole run) before this error; run, grad, dense, export and project computed first too.
    expectUserError(await cli(['train', spec, '--map', 'm', '--params', params, '--input', input, '--target', input, '--steps', '3', '--backend', 'cpu', '--out', out('p.safetensors')]), cannot('p.safetensors'));
    expectUserError(await cli(['grad', spec, '--map', 'm', '--params', params, '--input', input, '--grad-output', input, '--backend', 'cpu', '--out', out('g.safetensors')]), cannot('g.safetensors'));
    expectUserError(await cli(['dense', spec, '--map', 'm', '--params', params, '--out', out('w.npy')]), cannot('w.npy'));
    expectUserError(await cli(['export', spec, '--map', 'm', '--params', params, '--out', out('m.onnx')]), cannot('m.onnx'));
    const w = scratch.path('w8.npy');
    writeFileSync(w, writeNpy(new Float32Array(64).fill(0.5), [8, 8]));
    expectUserError(await cli(['project', spec, '--map', 'm', '--dense', w, '--out', out('q.safetensors')]), cannot('q.safetensors'));
  });

  it('checking an --out before the work leaves nothing behind: no directory it would create, no file in one that exists', async () => {
    const fresh = scratch.path('fresh');
    const missing = await cli(['train', spec, '--map', 'm', '--params', scratch.path('no-such.safetensors'), '--input', input, '--target', input, '--steps', '1', '--backend', 'cpu', '--out', `${fresh}/deeper/p.safetensors`]);
    expect(missing.code).toBe(1); // the parameters are missing: after the --out check
    expect(existsSync(fresh)).toBe(false);
    const dir = scratch.path('outs');
    mkdirSync(dir);
    expect((await cli(['train', spec, '--map', 'm', '--params', scratch.path('no-such.safetensors'), '--input', input, '--target', input, '--steps', '1', '--backend', 'cpu', '--out', `${dir}/p.safetensors`])).code).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('--out under a regular file, or naming a directory, is a user error', async () => {
    expectUserError(await run({ out: `${input}/y.npy` }), /cannot write '[^']*x\.npy\/y\.npy': '[^']*x\.npy' is not a directory/);
    expectUserError(await run({ out: `${input}/deeper/y.npy` }), /a parent is not a directory|is not a directory/);
    expectUserError(await run({ out: scratch.dir }), /it is a directory; monc writes only regular files/);
    // A trailing '/' (or a last '.' / '..') names a directory, existing or not (QA s15 Q40: `--out gdir/` wrote a file 'gdir',
    // `--out existing/` replaced the file 'existing').
    const named = /it names a directory \(a trailing '\/', '\.' or '\.\.'\); monc writes only regular files/;
    const fresh = scratch.path('no-such-dir');
    for (const out of [`${fresh}/`, `${input}/`, `${fresh}/.`, `${scratch.dir}/..`]) expectUserError(await run({ out }), named);
    expect(existsSync(fresh)).toBe(false);
    expect(readFileSync(input).length).toBeGreaterThan(0);
  });

  it('a file name over 255 bytes is a user error, and a 250-byte one works', async () => {
    expectUserError(await run({ out: scratch.path(`${'y'.repeat(300)}.npy`) }), /file name too long/);
    const long = scratch.path(`${'y'.repeat(246)}.npy`);
    expect((await run({ out: long })).code).toBe(0);
    expect(existsSync(long)).toBe(true);
  });

  it('monc build of a module with the longest name the checker allows (128) writes its files', async () => {
    const name = `m${'x'.repeat(127)}`;
    const file = scratch.path('long-module.mon');
    writeFileSync(file, `module ${name}\nmap m : 8 -> 8 = monarch(nblocks: 2)\n`);
    const out = scratch.path('gen-long');
    const r = await cli(['build', file, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    for (const ext of ['wgsl', 'ts', 'json']) expect(existsSync(`${out}/${name}.${ext}`)).toBe(true);
  });

  it('never replaces a device or a FIFO with a regular file', async () => {
    expectUserError(await run({ out: '/dev/null' }), /'\/dev\/null': it is a character device; monc writes only regular files/);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    const pipe = fifo('out.fifo');
    expectUserError(await run({ out: pipe }), /FIFO/);
    expect(lstatSync(pipe).isFIFO()).toBe(true);
  });

  it('writes through a symbolic link, keeping the link', async () => {
    const target = scratch.path('target.npy');
    const link = scratch.path('link.npy');
    writeFileSync(target, 'old');
    symlinkSync(target, link);
    expect((await run({ out: link })).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(readFileSync(target).subarray(0, 6)).toEqual(Buffer.from('\x93NUMPY', 'latin1'));
  });

  // QA s20 Q92: a link whose target does not exist yet was refused ('its target cannot be resolved').
  it('writes through a symbolic link whose target does not exist yet (through a second link too), creating the target', async () => {
    const target = scratch.path('new-target.npy');
    const link = scratch.path('dangling.npy');
    symlinkSync('new-target.npy', link);
    expect((await run({ out: link })).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target).subarray(0, 6)).toEqual(Buffer.from('\x93NUMPY', 'latin1'));
    const second = scratch.path('chained.npy');
    symlinkSync(scratch.path('dangling2.npy'), second);
    symlinkSync('chain-target.npy', scratch.path('dangling2.npy'));
    expect((await run({ out: second })).code).toBe(0);
    expect(readFileSync(scratch.path('chain-target.npy')).subarray(0, 6)).toEqual(Buffer.from('\x93NUMPY', 'latin1'));
    const loop = scratch.path('loop.npy');
    symlinkSync('loop.npy', loop);
    expectUserError(await run({ out: loop }), /'[^']*loop\.npy': it is a symbolic link whose target cannot be resolved/);
  });

  it("keeps the mode of the file it replaces", async () => {
    const out = scratch.path('private.npy');
    writeFileSync(out, 'old');
    chmodSync(out, 0o600);
    expect((await run({ out })).code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    chmodSync(out, 0o444);
    const before = readFileSync(out);
    expectUserError(await run({ out }), /it is read-only/);
    expect(readFileSync(out)).toEqual(before);
  });

  it("refuses to overwrite the command's own input", async () => {
    expectUserError(await cli(['init', spec, '--map', 'm', '--out', spec]), /cannot write '[^']*paths\.mon': it is an input of this command/);
    expect(readFileSync(spec, 'utf8')).toBe(SPEC);
    const before = readFileSync(input);
    expectUserError(await run({ out: input }), /it is an input of this command/);
    expect(readFileSync(input)).toEqual(before);
  });

  // QA1 s22 Q101: a mask the spec names is read by every command that reads the spec; --out over it replaced it, and
  // the spec no longer checked.
  it("refuses to overwrite a mask file the spec names, in every command that writes (build's outputs too)", async () => {
    const mask = scratch.path('m.npy');
    const maskBytes = writeNpy(new Float32Array([1, 0, 1, 1]), [2, 2]);
    writeFileSync(mask, maskBytes);
    const masked = scratch.path('masked.mon');
    writeFileSync(masked, 'module masked\nmap m : 8 -> 8 = sparse(block: 4, pattern: "m.npy")\n');
    const rest: Record<string, string[]> = {
      init: [],
      dense: ['--params', params],
      run: ['--params', params, '--input', input],
      project: ['--dense', input],
      export: ['--params', params],
      grad: ['--params', params, '--input', input, '--grad-output', input],
      train: ['--params', params, '--input', input, '--target', input],
      convert: ['--from', 'fly', '--in', params],
    };
    for (const [command, args] of Object.entries(rest)) {
      expectUserError(await cli([command, masked, '--map', 'm', ...args, '--out', mask]), /cannot write '[^']*m\.npy': it is an input of this command/);
      expect(readFileSync(mask), command).toEqual(Buffer.from(maskBytes));
    }
    // A module named as the mask: build's manifest would be m.json.
    const asManifest = scratch.path('m.json');
    writeFileSync(asManifest, maskBytes);
    writeFileSync(masked, 'module m\nmap m : 8 -> 8 = sparse(block: 4, pattern: "m.json")\n');
    expectUserError(await cli(['build', masked, '--out', scratch.dir]), /cannot write '[^']*m\.json': it is an input of this command/);
    expect(readFileSync(asManifest)).toEqual(Buffer.from(maskBytes));
  });

  it('monc build writes all of a module\'s files or none', async () => {
    const out = scratch.path('gen');
    mkdirSync(out);
    writeFileSync(`${out}/paths.wgsl`, 'old wgsl');
    writeFileSync(`${out}/paths.ts`, 'old ts');
    mkdirSync(`${out}/paths.json`); // the manifest cannot be written
    expectUserError(await cli(['build', spec, '--out', out]), /paths\.json': it is a directory/);
    expect(readFileSync(`${out}/paths.wgsl`, 'utf8')).toBe('old wgsl');
    expect(readFileSync(`${out}/paths.ts`, 'utf8')).toBe('old ts');
  });
});

describe('the tuning database', () => {
  it('monc tune refuses a database that is a directory, read-only, under a file or huge, before any tuning', async () => {
    const asDir = scratch.path('db-dir.json');
    mkdirSync(asDir);
    const readOnly = scratch.path('db-ro.json');
    writeFileSync(readOnly, '{"format": "monc-tuning", "version": 1, "entries": []}');
    chmodSync(readOnly, 0o444);
    const huge = scratch.path('db-huge.json');
    writeFileSync(huge, '');
    truncateSync(huge, 600 * 1024 * 1024);
    const cases: [string, RegExp][] = [
      [asDir, /is a directory/],
      [readOnly, /read-only/],
      [`${input}/db.json`, /is not a directory/],
      [huge, /600 MiB is over the limit of 64 MiB for a tuning database/],
    ];
    // One line on stderr and nothing else (expectUserError): openGpu notes the adapter before anything is tuned (and no
    // adapter is a device error, exit 3), so no GPU was opened and nothing tuned. A 600 MiB file is refused by its size.
    for (const [db, message] of cases) expectUserError(await cli(['tune', spec, '--db', db]), message);
  });

  it("entries of another monc version are not used, with a note at tune's load, whether the database is named or the default", () => {
    const db = scratch.path('old-version.json');
    const old = { adapter: { vendor: 'v', architecture: '', device: 'd', description: 'x', features: [], limits: { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupStorageSize: 16384 } }, compiler: '0.0.9', kernel: 'k', batchBucket: 1, schedule: { family: 'ks-direct' }, ms: 1, spread: 0, timed: 1, date: new Date(0).toISOString() };
    for (const named of [true, false]) {
      writeFileSync(db, JSON.stringify({ format: 'monc-tuning', version: 1, entries: [old] }));
      let stderr = '';
      const loaded = loadUserDb({ io: { stdout: () => undefined, stderr: (t) => (stderr += t), env: {} }, json: false }, named ? { path: db, namedBy: 'option' } : { path: db });
      expect(loaded?.db.entries).toEqual([]);
      // Not 'dropped': the file keeps them until the tune saves, and a tune may fail before it does (REV29-3).
      expect(stderr).toMatch(/^monc: tuning database [^\n]*old-version\.json: 1 entry of other monc versions \(0\.0\.9\) not used/);
    }
  });

  /** A directory holding a file the user cares about, and a check that both are still there, unmoved. */
  function preciousDir(name: string): { path: string; intact: () => void } {
    const path = scratch.path(name);
    mkdirSync(path);
    writeFileSync(`${path}/f`, 'precious');
    return {
      path,
      intact: () => {
        expect(readFileSync(`${path}/f`, 'utf8')).toBe('precious');
        expect(readdirSync(dirname(path)).filter((f) => f.startsWith(`${basename(path)}.`))).toEqual([]);
      },
    };
  }

  it('a database named by $MONC_TUNING_DB that cannot be used is a user error for every command, before any work, and is never moved', async () => {
    const asDir = preciousDir('env-db-dir');
    const corrupt = scratch.path('env-db-corrupt.json');
    writeFileSync(corrupt, '{"format": "monc-tuning", "entr');
    const commands = [
      ['bench', spec, '--map', 'm', '--batch', '8', '--repeats', '2'],
      ['build', spec, '--out', scratch.path('gen-env'), '--tuning'],
      ['tune', spec],
    ];
    // One line on stderr each (expectUserError): no adapter note, so no GPU opened and nothing tuned; nothing built (below).
    for (const args of commands) {
      expectUserError(await cli(args, { MONC_TUNING_DB: asDir.path }), /tuning database '[^']*env-db-dir': it is a directory[^\n]*\(named by \$MONC_TUNING_DB\)/);
      expectUserError(await cli(args, { MONC_TUNING_DB: corrupt }), /env-db-corrupt\.json: not JSON[^\n]*\(named by \$MONC_TUNING_DB\)/);
    }
    asDir.intact();
    expect(readFileSync(corrupt, 'utf8')).toBe('{"format": "monc-tuning", "entr');
    expect(readdirSync(scratch.dir).filter((f) => f.startsWith('env-db-corrupt.json.'))).toEqual([]);
    expect(existsSync(scratch.path('gen-env'))).toBe(false);
    expectUserError(await cli(['build', spec, '--out', scratch.path('gen-env'), '--tuning', asDir.path]), /it is a directory/);
    asDir.intact();
  });

  it("an empty tuning database path is a user error before any work; an empty $MONC_TUNING_DB is unset", async () => {
    // One line on stderr and nothing else (expectUserError): no adapter note, no progress: no GPU opened, nothing tuned.
    for (const args of [
      ['tune', spec, '--batch', '2', '--max-candidates', '1', '--db', ''],
      ['build', spec, '--out', scratch.path('gen-empty'), '--tuning', ''],
      ['bench', spec, '--map', 'm', '--batch', '8', '--repeats', '2', '--tuning', ''],
    ]) {
      expectUserError(await cli(args), /^monc: error: the tuning database path is empty: name a file/);
    }
    expect(existsSync(scratch.path('gen-empty'))).toBe(false);
    // Set but empty: the default database ($XDG_CACHE_HOME/monc/tuning.json here), not a file named ''.
    const built = await cli(['build', spec, '--out', scratch.path('gen-empty'), '--tuning'], { MONC_TUNING_DB: '', XDG_CACHE_HOME: scratch.path('xdg-empty') });
    expect(built.code, built.stderr).toBe(0);
    expect(built.stderr).toContain(`no tuning database at ${scratch.path('xdg-empty/monc/tuning.json')} yet`);
  });

  it('an unusable default database is ignored with a note by readers (nothing moved); monc tune sets aside only a regular file', async () => {
    const cache = scratch.path('cache');
    const db = `${cache}/monc/tuning.json`;
    mkdirSync(`${cache}/monc`, { recursive: true });
    writeFileSync(db, '');
    truncateSync(db, 600 * 1024 * 1024);
    const env = { XDG_CACHE_HOME: cache };
    const r = await cli(['build', spec, '--out', scratch.path('gen-default'), '--tuning'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^monc: tuning database [^\n]*tuning\.json could not be used \(600 MiB is over the limit of 64 MiB for a tuning database; remove entries \(the oldest first, as monc tune does when it saves\) or use another database\): ignored, using the default schedules/m);
    expect(readdirSync(`${cache}/monc`)).toEqual(['tuning.json']);

    // The writer's check (what monc tune runs before any work): a regular file is set aside...
    let stderr = '';
    const ctx = { io: { stdout: () => undefined, stderr: (t: string) => (stderr += t), env }, json: false };
    expect(loadUserDb(ctx, { path: db })).toBeUndefined();
    expect(stderr).toMatch(/^monc: tuning database [^\n]*tuning\.json could not be used \(600 MiB[^\n]*\); moved to [^\n]*tuning\.json\.unusable-/);
    expect(existsSync(db)).toBe(false);

    // ...a directory in its place is a user error, for monc tune, and ignored by builds: never moved.
    rmSync(`${cache}/monc`, { recursive: true });
    mkdirSync(`${cache}/monc`);
    const asDir = preciousDir('cache/monc/tuning.json');
    expectUserError(await cli(['tune', spec], env), /tuning database '[^']*tuning\.json': it is a directory/);
    const built = await cli(['build', spec, '--out', scratch.path('gen-default'), '--tuning'], env);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stderr).toMatch(/tuning\.json could not be used \([^\n]*is a directory[^\n]*\): ignored/);
    asDir.intact();
  });
});
