import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli/main.js';
import { candidates, defaultSchedule } from '../../src/codegen/wgsl/families.js';
import { DEFAULT_LIMITS } from '../../src/codegen/wgsl/kernel.js';
import { compileBackward, compileMap } from '../../src/ir/pipeline.js';
import { printBackwardProgram } from '../../src/ir/printer.js';
import { emptyDb, kernelSignature, serializeDb } from '../../src/tuner/db.js';
import { MONC_VERSION } from '../../src/version.js';
import { checkSource, denseCost, paramsOf, structureCost } from '../../src/dsl/index.js';
import type { CheckedMap } from '../../src/dsl/structure.js';
import { readNpy, writeNpy } from '../../src/runtime/formats/npy.js';
import { readSafetensors, writeSafetensors } from '../../src/runtime/formats/safetensors.js';
import { relativeError } from '../../src/tuner/op-reference.js';
import { cli, cliJson, scratchDir } from './helpers.js';
import { referenceApply, referenceDense } from '../support/reference.js';

const SPEC = `# a small module for the CLI tests
module small
const d = 48
map up    : d -> 2 * d = monarch(nblocks: 4)
map down  : 2 * d -> d = monarch(nblocks: 4) + bias()
map chain : d -> d = down @ up
map mix   : 64 -> 64 = butterfly(radix: 4)
map low   : 30 -> 20 = lowrank(rank: 3)
`;

const scratch = scratchDir();
const spec = scratch.path('small.mon');
const mapOf = (name: string): CheckedMap => checkSource(SPEC, spec).module!.maps.find((m) => m.name === name)!;

beforeAll(() => writeFileSync(spec, SPEC));
afterAll(() => scratch.remove());

describe('monc check', () => {
  it('prints every map with its parameters and FLOPs next to the dense equivalent', async () => {
    const r = await cli(['check', spec]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('module small, dtype f32, 5 maps');
    expect(r.stdout).toMatch(/^chain\s+48 -> 48\s/m);
    expect(r.stdout).toMatch(/^low\s+30 -> 20\s+150\s+600\s/m);
  });

  it('--json gives one object with the costs of each map', async () => {
    const out = await cliJson(['check', spec]);
    expect(out.module).toBe('small');
    expect(out.maps.map((m: { name: string }) => m.name)).toEqual(['up', 'down', 'chain', 'mix', 'low']);
    for (const m of out.maps) {
      const map = mapOf(m.name);
      expect(m).toEqual({ name: map.name, in: map.in, out: map.out, ...rename(structureCost(map.structure)), dense: rename(denseCost(map.in, map.out)) });
    }
  });

  it('--ir prints the IR after every pass', async () => {
    const r = await cli(['check', spec, '--ir']);
    expect(r.code).toBe(0);
    for (const pass of ['lower', 'flatten', 'fold-permutations', 'schedule']) expect(r.stdout).toContain(`== chain: after ${pass} ==`);
    const json = await cliJson(['check', spec, '--ir']);
    expect(json.maps[0].passes.map((p: { pass: string }) => p.pass)).toContain('schedule');
  });

  it('--ir prints each map\'s backward program after its forward passes, the same as compileBackward derives', async () => {
    const r = await cli(['check', spec, '--ir']);
    expect(r.code).toBe(0);
    const program = compileMap(mapOf('chain'), 'f32');
    const want = printBackwardProgram(compileBackward(program)).trimEnd();
    const at = r.stdout.indexOf(`-- backward: chain --\n${want}`);
    expect(at).toBeGreaterThan(r.stdout.indexOf('== chain: after schedule =='));
    expect(r.stdout.indexOf('== mix: after lower ==')).toBeGreaterThan(at);
    expect(want).toContain('reduce');
    const json = await cliJson(['check', spec, '--ir']);
    expect(json.maps[2].backward.trimEnd()).toBe(want);
  });

  it('renders spec errors with location, source line and caret, exit 1, no stack', async () => {
    const bad = scratch.path('bad.mon');
    writeFileSync(bad, 'const d = 10\nmap m : d -> d = monarch(nblocks: 3)\n');
    const r = await cli(['check', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const [first, line, caret] = r.stderr.split('\n');
    expect(first).toMatch(new RegExp(`^${bad.replace(/[.\\]/g, '\\$&')}:2:\\d+: error: .+ \\[E\\d+\\]$`));
    expect(line).toContain('map m : d -> d = monarch(nblocks: 3)');
    expect(caret).toMatch(/^\s+\|\s+\^/);
    expect(r.stderr).not.toMatch(/\n\s+at /);

    const j = await cli(['check', bad, '--json']);
    const error = JSON.parse(j.stdout).error;
    expect(error.kind).toBe('user');
    expect(error.diagnostics[0]).toMatchObject({ severity: 'error', file: bad, line: 2 });
  });
});

describe('mask files', () => {
  it('reads sparse(pattern: "mask.npy") relative to the spec, and reports a missing one at its place', async () => {
    const dir = scratchDir();
    try {
      const file = dir.path('masked.mon');
      writeFileSync(file, 'map m : 8 -> 12 = sparse(block: [4, 2], pattern: "masks/m.npy")\n');
      const missing = await cli(['check', file]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^.*masked\.mon:1:\d+: error: .*\n.*"masks\/m\.npy"/);

      mkdirSync(dir.path('masks'));
      // A (12/4) x (8/2) = 3 x 4 block grid with 5 blocks present.
      writeFileSync(dir.path('masks/m.npy'), writeNpy([1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0], [3, 4]));
      const out = await cliJson(['check', file]);
      expect(out.maps[0].params).toBe(5 * 4 * 2);
    } finally {
      dir.remove();
    }
  });

  // QA1 s21 Q05: an array read that is not 2-D was E0602 ("cannot read mask", its 1-D shape written `(4)`).
  it('a mask array that is not 2-D is E0603 (the wrong shape), its shape written as everywhere', async () => {
    const dir = scratchDir();
    try {
      const file = dir.path('masked.mon');
      writeFileSync(file, 'map m : 8 -> 8 = sparse(block: 4, pattern: "m.npy")\n');
      for (const [shape, shown] of [[[4], '(4,)'], [[1, 2, 2], '(1, 2, 2)']] as const) {
        writeFileSync(dir.path('m.npy'), writeNpy([1, 0, 0, 1], shape));
        const r = await cli(['check', file, '--json']);
        expect(r.code).toBe(1);
        expect(JSON.parse(r.stdout).error.diagnostics).toEqual([expect.objectContaining({ code: 'E0603', message: `mask "m.npy" has shape ${shown}, but a mask is 2-D: the block grid is (2, 2) = (m/bh, n/bw)` })]);
      }
    } finally {
      dir.remove();
    }
  });
});

describe('usage and file errors', () => {
  it.each([
    [['frobnicate']],
    [['check']],
    [['check', 'x.mon', '--bogus']],
    [['init', 'x.mon', '--out', 'p.safetensors']],
    [['init', 'x.mon', '--map', 'm', '--out', 'p.safetensors', '--seed', '-3']],
    [['run', 'x.mon', '--map', 'm', '--params', 'p', '--input', 'x', '--out', 'y', '--backend', 'tpu']],
    [[]],
  ])('exits 2 on bad usage: %j', async (args) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toBe('');
  });

  it('--help and --version exit 0', async () => {
    expect((await cli(['--help'])).code).toBe(0);
    expect((await cli(['run', '--help'])).stdout).toContain('--backend');
    // project's --seed: both of its uses (QA1 s28 Q701: only the randomized SVD was named; a chain with a free part's
    // random factors change with it too).
    // grad's --input: any leading dimensions, as the command takes them (QA1 s28 Q703: only (B, in) and (in,) were named).
    expect((await cli(['grad', '--help'])).stdout.replace(/\s+/g, ' ')).toContain('--input <file> X as .npy, shape (…, in): any leading dimensions, like nn.Linear (e.g. (B, in), or (in,) for one vector)');
    expect((await cli(['project', '--help'])).stdout.replace(/\s+/g, ' ')).toContain('--seed <n> seed of the randomized parts: the randomized SVD of large lowrank terms, and the random factors with orthonormal blocks a chain with a free part (dense() @ monarch(...)) is solved against');
    expect((await cli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a missing file is a one-line user error', async () => {
    const r = await cli(['check', scratch.path('nope.mon')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`monc: error: cannot read spec '${scratch.path('nope.mon')}': no such file or directory\n`);
  });

  it('an unknown map names the maps there are', async () => {
    const r = await cli(['init', spec, '--map', 'nope', '--out', scratch.path('p.safetensors')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no map named 'nope' (maps: up, down, chain, mix, low)");
  });

  it('an internal error says so, with the stack only under MONC_DEBUG=1', () => {
    const capture = (env: Record<string, string>) => {
      let stderr = '';
      let stdout = '';
      const code = reportError(new Error('internal error: boom'), { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env }, true);
      return { code, stderr, stdout };
    };
    const quiet = capture({});
    expect(quiet.code).toBe(3);
    expect(quiet.stderr).toMatch(/^monc: internal error: boom\n/);
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    expect(JSON.parse(quiet.stdout)).toEqual({ error: { kind: 'internal', message: 'boom' } });
    expect(capture({ MONC_DEBUG: '1' }).stderr).toMatch(/\n\s+at /);
  });
});

describe('monc init', () => {
  it('writes every parameter tensor of the map, deterministically per seed', async () => {
    const out = scratch.path('chain.safetensors');
    const json = await cliJson(['init', spec, '--map', 'chain', '--out', out, '--seed', '5']);
    const specs = paramsOf(mapOf('chain').structure);
    expect(json.tensors).toEqual(specs.map((s) => ({ name: s.name, shape: s.shape })));
    const file = readSafetensors(readFileSync(out));
    expect([...file.tensors.keys()].sort()).toEqual(specs.map((s) => s.name).sort());
    for (const s of specs) {
      const t = file.tensors.get(s.name)!;
      expect(t.dtype).toBe('F32');
      expect(t.shape).toEqual(s.shape);
      expect(Math.max(...t.data.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(s.fanIn));
    }
    const first = readFileSync(out);
    await cliJson(['init', spec, '--map', 'chain', '--out', out, '--seed', '5']);
    expect(readFileSync(out)).toEqual(first);
    await cliJson(['init', spec, '--map', 'chain', '--out', out, '--seed', '6']);
    expect(readFileSync(out)).not.toEqual(first);
  });

  it('writes F16 for a dtype f16 module, which runs within the f16 tolerance', async () => {
    const half = scratch.path('half.mon');
    writeFileSync(half, 'dtype f16\nmap m : 16 -> 16 = monarch(nblocks: 4)\n');
    const out = scratch.path('half.safetensors');
    await cliJson(['init', half, '--map', 'm', '--out', out]);
    expect([...readSafetensors(readFileSync(out)).tensors.values()].map((t) => t.dtype)).toEqual(['F16', 'F16']);

    // f16 input (<f2) is accepted; the result matches the reference within SPEC §6's f16 tolerance.
    const x = Float32Array.from({ length: 2 * 16 }, (_, i) => Math.cos(i));
    writeFileSync(scratch.path('half-x.npy'), writeNpy(x, [2, 16], '<f2'));
    await cliJson(['run', half, '--map', 'm', '--params', out, '--input', scratch.path('half-x.npy'), '--out', scratch.path('half-y.npy')]);
    const params = new Map([...readSafetensors(readFileSync(out)).tensors].map(([k, t]) => [k, t.data]));
    const xHalf = readNpy(readFileSync(scratch.path('half-x.npy'))).data;
    const structure = checkSource(readFileSync(half, 'utf8'), half).module!.maps[0].structure;
    expect(relativeError(readNpy(readFileSync(scratch.path('half-y.npy'))).data, referenceApply(structure, params, xHalf, 2))).toBeLessThan(3e-3);
  });
});

describe('monc dense and monc run', () => {
  const params = scratch.path('params.safetensors');
  const input = scratch.path('x.npy');
  const batch = 3;
  const x = Float32Array.from({ length: batch * 48 }, (_, i) => Math.sin(i * 0.37));
  const loadParams = () => new Map([...readSafetensors(readFileSync(params)).tensors].map(([k, t]) => [k, t.data]));

  beforeAll(async () => {
    await cliJson(['init', spec, '--map', 'chain', '--out', params, '--seed', '1']);
    writeFileSync(input, writeNpy(x, [batch, 48]));
  });

  it('dense writes M (out, in) as float32', async () => {
    const out = scratch.path('w.npy');
    expect(await cliJson(['dense', spec, '--map', 'chain', '--params', params, '--out', out])).toEqual({ map: 'chain', out, shape: [48, 48] });
    const w = readNpy(readFileSync(out));
    expect(w.dtype).toBe('<f4');
    expect(w.shape).toEqual([48, 48]);
    expect(w.data).toEqual(Float32Array.from(referenceDense(mapOf('chain').structure, loadParams())));
  });

  it.each(['cpu', 'webgpu'])('run on %s matches the float64 reference (rel. Frobenius 1e-5)', async (backend) => {
    const out = scratch.path(`y-${backend}.npy`);
    const r = await cli(['run', spec, '--map', 'chain', '--params', params, '--input', input, '--out', out, '--backend', backend, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ map: 'chain', input: [batch, 48], output: [batch, 48] });
    // Never a silent CPU fallback here: CI has an adapter (SwiftShader), so this must run on WebGPU.
    expect(json.backend).toBe(backend);
    if (backend === 'webgpu') expect(r.stderr).toContain(`monc: webgpu adapter: ${json.adapter}`);
    // Which of the map's kernel sets the adapter runs (an f32 module: its one, portable, set).
    expect(json.kernelSet).toBe(backend === 'webgpu' ? 'portable' : null);
    if (backend === 'webgpu') expect(r.stderr).toMatch(/; kernel set: portable \(f32 storage\)$/m);
    const y = readNpy(readFileSync(out));
    expect(y.shape).toEqual([batch, 48]);
    expect(relativeError(y.data, referenceApply(mapOf('chain').structure, loadParams(), x, batch))).toBeLessThan(1e-5);
  });

  it('run takes a single vector (n,) and gives (m,)', async () => {
    const vec = scratch.path('v.npy');
    writeFileSync(vec, writeNpy(x.subarray(0, 48), [48]));
    const out = scratch.path('yv.npy');
    await cliJson(['run', spec, '--map', 'chain', '--params', params, '--input', vec, '--out', out, '--backend', 'cpu']);
    const y = readNpy(readFileSync(out));
    expect(y.shape).toEqual([48]);
    expect(relativeError(y.data, referenceApply(mapOf('chain').structure, loadParams(), x.subarray(0, 48), 1))).toBeLessThan(1e-5);
  });

  it('a shape mismatch is a user error and leaves an existing output untouched', async () => {
    const wrong = scratch.path('wrong.npy');
    writeFileSync(wrong, writeNpy(new Float32Array(2 * 47), [2, 47]));
    const out = scratch.path('keep.npy');
    writeFileSync(out, 'previous contents');
    const r = await cli(['run', spec, '--map', 'chain', '--params', params, '--input', wrong, '--out', out, '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`monc: error: ${wrong}: input has shape (2, 47); map 'chain' takes (…, 48): the last dimension must be 48\n`);
    expect(readFileSync(out, 'utf8')).toBe('previous contents');
  });

  it('rejects parameter files that do not fit the map', async () => {
    const other = scratch.path('other.safetensors');
    writeFileSync(other, writeSafetensors(new Map([['up.blkdiag1', { shape: [4, 12, 13], data: new Float32Array(4 * 12 * 13) }]])));
    const r = await cli(['dense', spec, '--map', 'up', '--params', other, '--out', scratch.path('w2.npy')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`monc: error: ${other}: tensor 'up.blkdiag1' has shape (4, 12, 13), expected (4, 12, 12)\n`);

    const missing = await cli(['dense', spec, '--map', 'mix', '--params', params, '--out', scratch.path('w2.npy')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("missing tensor 'mix.twiddle' of shape (3, 16, 4, 4)");

    const truncated = scratch.path('truncated.safetensors');
    writeFileSync(truncated, readFileSync(params).subarray(0, 100));
    const t = await cli(['dense', spec, '--map', 'chain', '--params', truncated, '--out', scratch.path('w2.npy')]);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/^monc: error: .*truncated\.safetensors: safetensors: .+\n$/);
  });

  it('writes atomically: no temporary files are left behind, even when the write fails', async () => {
    const out = scratch.path('adir');
    await cliJson(['init', spec, '--map', 'up', '--out', scratch.path('adir/p.safetensors')]);
    // The output path is now a directory: the final rename fails.
    const r = await cli(['init', spec, '--map', 'up', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^monc: error: cannot write '.*adir': /);
    expect([scratch.dir, out].flatMap((d) => readdirSync(d)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('monc build', () => {
  it('writes <module>.wgsl, .ts and .json, byte-identical for identical input', async () => {
    const a = scratch.path('build-a');
    const b = scratch.path('build-b');
    const json = await cliJson(['build', spec, '--out', a]);
    await cliJson(['build', spec, '--out', b]);
    expect(json.modules[0].module).toBe('small');
    for (const ext of ['wgsl', 'ts', 'json']) {
      const bytes = readFileSync(`${a}/small.${ext}`);
      expect(bytes.length).toBeGreaterThan(0);
      expect(readFileSync(`${b}/small.${ext}`)).toEqual(bytes);
    }
    expect(JSON.parse(readFileSync(`${a}/small.json`, 'utf8')).maps.map((m: { name: string }) => m.name)).toEqual(['up', 'down', 'chain', 'mix', 'low']);
  });

  // Session 25 (SPEC audit s24 S4): a file named as a Windows device (con.mon, nul.tar.gz.mon) was refused (E0305).
  it('builds a spec whose file name is no identifier or a reserved word (monarch.mon, mktemp\'s tmp.AbC123.mon) or a Windows device (con.mon) into files of that name; check and init take it too (QA s13 Q20)', async () => {
    const out = scratch.path('build-file-names');
    for (const name of ['monarch', 'tmp.AbC123', 'my-ffn', 'con', 'nul.tar.gz']) {
      const file = scratch.path(`${name}.mon`);
      writeFileSync(file, 'map f : 8 -> 8 = monarch(nblocks: 2)\n');
      expect((await cliJson(['check', file])).module).toBe(name);
      expect((await cli(['init', file, '--map', 'f', '--out', scratch.path(`${name}.safetensors`)])).code).toBe(0);
      expect((await cliJson(['build', file, '--out', out])).modules[0].module).toBe(name);
      expect(JSON.parse(readFileSync(`${out}/${name}.json`, 'utf8'))).toMatchObject({ module: name, wgsl: `${name}.wgsl` });
      expect(readFileSync(`${out}/${name}.ts`, 'utf8')).toContain(`/** The module's WGSL (${name}.wgsl): the kernels of every map. */`);
    }
  });

  it('--tuning takes the schedules of a tuning database, and rejects a file that is not one', async () => {
    const op = compileMap(mapOf('low'), 'f32').ops[0];
    const tuned = candidates(op, DEFAULT_LIMITS).find((c) => JSON.stringify(c) !== JSON.stringify(defaultSchedule(op, DEFAULT_LIMITS)))!;
    const adapter = { vendor: 'v', architecture: 'a', device: 'd', description: '', features: [], limits: { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupStorageSize: 16384 } };
    const entry = { adapter, compiler: MONC_VERSION, kernel: kernelSignature([op], 'f32'), batchBucket: 1, schedule: tuned, ms: 1, spread: 0, timed: 1, date: '2025-01-01T00:00:00.000Z' };
    const db = scratch.path('tuning.json');
    writeFileSync(db, serializeDb({ ...emptyDb(), entries: [entry] }));
    const out = scratch.path('build-tuned');
    await cliJson(['build', spec, '--out', out, '--tuning', db]);
    const manifest = JSON.parse(readFileSync(`${out}/small.json`, 'utf8'));
    const low = manifest.maps.find((m: { name: string }) => m.name === 'low');
    expect(low.kernels.find((k: { ops: number[] }) => k.ops.includes(0)).schedule).toEqual(tuned);

    writeFileSync(scratch.path('not-tuning.json'), '{"format": "other"}');
    const bad = await cli(['build', spec, '--out', out, '--tuning', scratch.path('not-tuning.json')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^monc: error: .*not-tuning\.json: not a monc tuning database/);
    expect((await cli(['build', spec, '--out', out, '--tuning', scratch.path('absent.json')])).code).toBe(1);
  });

  it('writes nothing when one of the specs has an error', async () => {
    const bad = scratch.path('bad2.mon');
    writeFileSync(bad, 'map m : 10 -> 10 = monarch(nblocks: 3)\n');
    const out = scratch.path('build-bad');
    const r = await cli(['build', spec, bad, '--out', out]);
    expect(r.code).toBe(1);
    expect(() => readdirSync(out)).toThrow();
  });

  it('refuses two specs of the same module', async () => {
    const twin = scratch.path('twin.mon');
    writeFileSync(twin, 'module small\nmap m : 4 -> 4 = dense()\n');
    const r = await cli(['build', spec, twin, '--out', scratch.path('build-twin')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("module 'small' is also defined by");
  });

  it('builds a spec given twice (as it is, through ./) once: it said the module was "also defined by" itself', async () => {
    const out = scratch.path('build-same');
    const r = await cliJson(['build', spec, `${scratch.dir}/./small.mon`, spec, '--out', out]);
    expect(r.modules.map((m: { module: string }) => m.module)).toEqual(['small']);
    expect(readdirSync(out).sort()).toEqual(['small.json', 'small.ts', 'small.wgsl']);
  });

  it('refuses two specs whose module names differ only in case (one set of files on macOS and Windows), writing nothing', async () => {
    const twin = scratch.path('twin-case.mon');
    writeFileSync(twin, 'module Small\nmap m : 4 -> 4 = dense()\n');
    const out = scratch.path('build-twin-case');
    const r = await cli(['build', spec, twin, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^monc: error: .*twin-case\.mon: module 'Small' and module 'small' of .* differ only in case; .*case-insensitive file system \(macOS, Windows\)\n$/);
    expect(() => readdirSync(out)).toThrow();
  });

  // QA1 s26 Q503: macOS's file systems do not tell a name's NFC and NFD spellings apart either (café.ts written twice).
  it('refuses two specs whose module names differ only in Unicode normalization (or in that and case), writing nothing', async () => {
    const [nfc, nfd] = ['caf\u00e9', 'cafe\u0301'];
    for (const [first, second, more] of [[nfc, nfd, ''], [nfc, nfd.toUpperCase(), ' and in case']]) {
      const [a, b] = [scratch.path(`nf-a-${more.length}`), scratch.path(`nf-b-${more.length}`)];
      mkdirSync(a);
      mkdirSync(b);
      writeFileSync(`${a}/${first}.mon`, 'map g : 4 -> 4 = diag()\n');
      writeFileSync(`${b}/${second}.mon`, 'map g : 4 -> 4 = diag()\n');
      const out = scratch.path(`build-nf-${more.length}`);
      const r = await cli(['build', `${a}/${first}.mon`, `${b}/${second}.mon`, '--out', out]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `monc: error: ${b}/${second}.mon: module '${second}' and module '${first}' of ${a}/${first}.mon differ only in how Unicode writes a character (NFC or NFD: é as one character or as e + U+0301)${more}; their outputs would overwrite each other on macOS, whose file systems do not tell them apart\n`,
      );
      expect(() => readdirSync(out)).toThrow();
    }
  });
});

function rename(c: { params: number; flopsPerRow: number }) {
  return { params: c.params, flopsPerRow: c.flopsPerRow };
}
