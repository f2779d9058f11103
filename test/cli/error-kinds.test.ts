/**
 * Every kind of MoncError, through the CLI, with the exit code the one table in
 * src/cli/report-error.ts gives it: a command that fails with that kind where one exists, and
 * the error itself handed to `reportError` for the kinds no command on this machine reaches
 * (`device`: a GPU is always there under test; `wgsl`: monc's kernels compile). The table is
 * keyed by ErrorKind, so a new kind does not type-check until it has a row here.
 */
import { CommanderError } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT, OUTCOME, reportError } from '../../src/cli/report-error.js';
import { NoAdapterError } from '../../src/runtime/device.js';
import { writeNpy } from '../../src/runtime/formats/npy.js';
import { writeSafetensors } from '../../src/runtime/formats/safetensors.js';
import { WgslError } from '../../src/runtime/pipeline-cache.js';
import { isMoncError, type ErrorKind } from '../../src/util/error.js';
import { getTestDevice } from '../support/gpu.js';
import { cli, scratchDir, type CliRun } from './helpers.js';

// The error each run ends with, as `main` hands it to `reportError`: which kind it really is.
const reportedErrors = vi.hoisted(() => [] as unknown[]);
vi.mock('../../src/cli/report-error.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/cli/report-error.js')>();
  const reportError: typeof original.reportError = (e, io, json) => {
    reportedErrors.push(e);
    return original.reportError(e, io, json);
  };
  return { ...original, reportError };
});

const scratch = scratchDir();
const spec = scratch.path('k.mon');
const params = scratch.path('k.safetensors');
const tensor = (shape: number[], fill: number) => ({ shape, data: new Float32Array(shape.reduce((p, d) => p * d, 1)).fill(fill) });

beforeAll(() => {
  writeFileSync(spec, 'module k\nmap f : 4 -> 4 = dense()\nmap m : 16 -> 16 = monarch(nblocks: 4)\n');
  writeFileSync(scratch.path('bad.mon'), 'map f : 4 -> 4 = densee()\n');
  writeFileSync(params, writeSafetensors(new Map([['f.weight', tensor([4, 4], 0.5)]])));
  writeFileSync(scratch.path('nan.safetensors'), writeSafetensors(new Map([['f.weight', tensor([4, 4], NaN)]])));
  writeFileSync(scratch.path('other.safetensors'), writeSafetensors(new Map([['g.weight', tensor([4, 4], 0.5)]])));
  // A safetensors file cut short: its header reads, its tensors do not.
  writeFileSync(scratch.path('cut.safetensors'), readFileSync(params).subarray(0, 100));
  writeFileSync(scratch.path('x5.npy'), writeNpy(new Float32Array(10), [2, 5]));
  writeFileSync(scratch.path('w-nan.npy'), writeNpy(new Float32Array(16).fill(NaN), [4, 4]));
});
afterAll(() => scratch.remove());

/** How the error of each kind is produced, and what the CLI must say (stderr) and return. */
interface Row {
  readonly run: () => Promise<CliRun>;
  readonly code: 1 | 2 | 3;
  readonly stderr: RegExp;
}

/** `reportError` on `e`, as `main` calls it. */
function reported(e: Error): () => Promise<CliRun> {
  return async () => {
    let stdout = '';
    let stderr = '';
    const code = reportError(e, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} }, false);
    return { code, stdout, stderr };
  };
}

const out = (name: string) => scratch.path(name);

const ROWS: { readonly [K in ErrorKind]: Row } = {
  spec: { run: () => cli(['check', out('bad.mon')]), code: 1, stderr: /bad\.mon:1:18: error: unknown constructor 'densee'.*\[E0303\]/ },
  file: { run: () => cli(['check', out('none.mon')]), code: 1, stderr: /^monc: error: cannot read spec '.*none\.mon': no such file or directory\n$/ },
  format: {
    run: () => cli(['dense', spec, '--map', 'f', '--params', out('cut.safetensors'), '--out', out('w.npy')]),
    code: 1,
    stderr: /^monc: error: .*cut\.safetensors: safetensors: .+\n$/,
  },
  param: { run: () => cli(['dense', spec, '--map', 'f', '--params', out('other.safetensors'), '--out', out('w.npy')]), code: 1, stderr: /missing tensor 'f\.weight' of shape \(4, 4\)\n$/ },
  shape: {
    run: () => cli(['run', spec, '--map', 'f', '--params', params, '--input', out('x5.npy'), '--out', out('y.npy'), '--backend', 'cpu']),
    code: 1,
    stderr: /input has shape \(2, 5\); map 'f' takes \(…, 4\)/,
  },
  value: { run: () => cli(['dense', spec, '--map', 'f', '--params', out('nan.safetensors'), '--out', out('w.npy')]), code: 1, stderr: /parameter tensor 'f\.weight' holds NaN at element \(0, 0\): not finite\n$/ },
  projection: { run: () => cli(['project', spec, '--map', 'f', '--dense', out('w-nan.npy'), '--out', out('p.safetensors')]), code: 1, stderr: /^monc: error: .*(NaN|not finite).*\n$/ },
  interop: { run: () => cli(['convert', spec, '--map', 'm', '--from', 'fly', '--in', params, '--out', out('c.safetensors')]), code: 1, stderr: /^monc: error: .*k\.safetensors: .+\n$/ },
  device: { run: reported(new NoAdapterError('navigator.gpu is undefined')), code: 1, stderr: /^monc: error: no WebGPU adapter: navigator\.gpu is undefined\n$/ },
  user: { run: () => cli(['init', spec, '--map', 'nope', '--out', out('p.safetensors')]), code: 1, stderr: /^monc: error: .*no map named 'nope' \(maps: f, m\)\n$/ },
  usage: { run: () => cli(['check', spec, '--no-such-option']), code: 2, stderr: /unknown option '--no-such-option'/ },
  wgsl: { run: reported(new WgslError('shader module: expected ;')), code: 3, stderr: /^monc: internal error: shader module: expected ;\nmonc: \(this is a bug in monc/ },
};

describe('each kind of error exits with its code', () => {
  it.each(Object.entries(ROWS))('%s', async (kind, row) => {
    const r = await row.run();
    const error = reportedErrors.at(-1);
    // Commander's own usage errors become the `usage` kind in reportError.
    expect(kind === 'usage' ? error instanceof CommanderError : isMoncError(error, kind as ErrorKind), String(error)).toBe(true);
    expect(r.stderr).toMatch(row.stderr);
    expect(r.code).toBe(row.code);
    // A user's error never shows a stack trace.
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('docs/install.md lists every kind with its exit code', () => {
    const docs = readFileSync(new URL('../../docs/install.md', import.meta.url), 'utf8');
    const rows = [...docs.matchAll(/^\| `(\w+)` \| .+ \| (\d) \|$/gm)].map(([, kind, code]) => [kind, Number(code)]);
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(Object.entries(OUTCOME).map(([kind, outcome]) => [kind, EXIT[outcome]])));
  });

  it('--json gives the outcome as the kind, and a spec error its diagnostics', async () => {
    const r = await cli(['check', out('bad.mon'), '--json']);
    expect(r.code).toBe(1);
    const { error } = JSON.parse(r.stdout);
    expect(error).toMatchObject({ kind: 'user', diagnostics: [{ code: 'E0303', severity: 'error', line: 1, column: 18 }] });
  });

  // QA3 s21 Q70: the one `device` error a command reaches on a test adapter without shader-f16 (SwiftShader).
  it('a device error (tune of an f16 module without shader-f16) is kind device, and "user" in --json (install.md)', async (context) => {
    if ((await getTestDevice()).features.has('shader-f16')) context.skip('this adapter has shader-f16');
    writeFileSync(out('h.mon'), 'module h\ndtype f16\nmap h : 4 -> 4 = dense()\n');
    const r = await cli(['tune', out('h.mon'), '--db', out('h-db.json'), '--json']);
    expect(isMoncError(reportedErrors.at(-1), 'device'), String(reportedErrors.at(-1))).toBe(true);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ kind: 'user', message: expect.stringMatching(/is f16 and this adapter \(.*\) has no shader-f16/) });
  });
});
