/**
 * What runs from dist/: the installed command (bin/monc.js) and the examples runner. The build is refreshed
 * first when any source file is newer than it (CI builds before testing, so there it is a no-op).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../src/runtime/formats/npy.js';
import { readSafetensors } from '../../src/runtime/formats/safetensors.js';
import { relativeError } from '../support/programs.js';
import { scratchDir } from './helpers.js';

const root = join(import.meta.dirname, '../..');
const compiledMain = join(root, 'dist/src/cli/main.js');
const scratch = scratchDir();

function newestSource(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newestSource(join(dir, e.name)) : e.name.endsWith('.ts') ? statSync(join(dir, e.name)).mtimeMs : 0)),
  );
}

beforeAll(() => {
  if (!existsSync(compiledMain) || statSync(compiledMain).mtimeMs < newestSource(join(root, 'src'))) {
    // tsc still emits when some unrelated file has type errors; the tests below judge the result.
    spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { cwd: root });
  }
});
afterAll(() => scratch.remove());

const monc = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/monc.js'), ...args], { cwd: scratch.dir, encoding: 'utf8' });

describe('bin/monc.js', () => {
  it('runs the compiled CLI with the documented exit codes', () => {
    writeFileSync(scratch.path('m.mon'), 'map m : 16 -> 16 = monarch(nblocks: 4)\n');
    const ok = monc('check', 'm.mon', '--json');
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).maps[0]).toMatchObject({ name: 'm', in: 16, out: 16 });

    writeFileSync(scratch.path('bad.mon'), 'map m : 16 -> 16 = monarch(nblocks: 3)\n');
    const bad = monc('check', 'bad.mon');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^bad\.mon:1:\d+: error: /);

    expect(monc('check').status).toBe(2);
  });

  // In a process of its own, as users run it: in-process CLI tests share a worker where another
  // file may have registered the block-sparse entry (monc/runtime/sparse) already.
  it('runs and differentiates a block-sparse map on webgpu like the float64 cpu backend', () => {
    writeFileSync(scratch.path('sp.mon'), 'map a : 24 -> 16 = sparse(block: [4, 3], pattern: band(width: 2)) + lowrank(rank: 2)\n');
    const x = Float32Array.from({ length: 3 * 24 }, (_, i) => Math.sin(i));
    const dy = Float32Array.from({ length: 3 * 16 }, (_, i) => Math.cos(i));
    writeFileSync(scratch.path('x.npy'), writeNpy(x, [3, 24]));
    writeFileSync(scratch.path('dy.npy'), writeNpy(dy, [3, 16]));
    expect(monc('init', 'sp.mon', '--map', 'a', '--out', 'p.safetensors').status).toBe(0);
    const outputs = (['cpu', 'webgpu'] as const).map((backend) => {
      const run = monc('run', 'sp.mon', '--map', 'a', '--params', 'p.safetensors', '--input', 'x.npy', '--out', `y-${backend}.npy`, '--backend', backend);
      expect(run.status, run.stderr).toBe(0);
      const grad = monc('grad', 'sp.mon', '--map', 'a', '--params', 'p.safetensors', '--input', 'x.npy', '--grad-output', 'dy.npy', '--out', `g-${backend}.safetensors`, '--backend', backend);
      expect(grad.status, grad.stderr).toBe(0);
      const grads = readSafetensors(readFileSync(scratch.path(`g-${backend}.safetensors`))).tensors;
      return { y: readNpy(readFileSync(scratch.path(`y-${backend}.npy`))).data, dx: grads.get('input')!.data, values: grads.get('a.0.values')!.data };
    });
    const [cpu, gpu] = outputs;
    expect(relativeError(gpu.y, cpu.y)).toBeLessThan(1e-5);
    expect(relativeError(gpu.dx, cpu.dx)).toBeLessThan(1e-5);
    expect(relativeError(gpu.values, cpu.values)).toBeLessThan(1e-5);
  });

  it('is executable with a node shebang', () => {
    const bin = join(root, 'bin/monc.js');
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  // QA1 s22 Q104: it exited as soon as the command returned, while Node still held the part of stdout a pipe had not
  // taken yet (64 KiB at a time): `monc check --json | jq` got 64 or 128 KiB of a 285 KB object, with exit 0.
  it('writes all of a long stdout into a pipe before it exits; a reader that stops early is no error', () => {
    // 1000 maps (the module's limit is 1024 ops) with 100-character names: 285 KB of JSON.
    writeFileSync(scratch.path('many.mon'), Array.from({ length: 1000 }, (_, i) => `map m${i}_${'x'.repeat(100)} : 4 -> 4 = dense()\n`).join(''));
    // Through a shell's pipe (64 KiB), into `cat` or `head -c 1`; the status is monc's (spawnSync's own pipes hold more).
    const piped = (reader: string) =>
      spawnSync('bash', ['-c', `"${process.execPath}" "${join(root, 'bin/monc.js')}" check many.mon --json | ${reader}; exit \${PIPESTATUS[0]}`], { cwd: scratch.dir, encoding: 'utf8', maxBuffer: 1 << 24 });
    const whole = piped('cat');
    expect(whole.status, whole.stderr).toBe(0);
    expect(whole.stdout.length).toBeGreaterThan(256 * 1024);
    expect(JSON.parse(whole.stdout).maps).toHaveLength(1000);
    // `head -c 1` closes the pipe after one byte: no EPIPE stack on stderr, the command's own exit status.
    const head = piped('head -c 1');
    expect({ status: head.status, stdout: head.stdout, stderr: head.stderr }).toEqual({ status: 0, stdout: '{', stderr: '' });
  });

  // QA1 s30 Q901: SIGTERM (timeout, docker stop, systemd) killed the watch without the summary line that Ctrl-C prints.
  it.each(['SIGINT', 'SIGTERM'] as const)('build --watch --json stopped by %s prints its summary line and exits 0', async (signal) => {
    writeFileSync(scratch.path('w.mon'), 'map f : 8 -> 8 = dense()\n');
    const child = spawn(process.execPath, [join(root, 'bin/monc.js'), 'build', 'w.mon', '--out', 'wo', '--watch', '--json'], { cwd: scratch.dir });
    let stdout = '';
    // 'close': the process exited and its output ended.
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    // The signal once the first build's line is out (the watch is set up before the first build).
    await new Promise<void>((built) => child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk), stdout.includes('\n') && built())));
    child.kill(signal);
    expect(await exited).toBe(0);
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ out: 'wo', builds: 1 });
  });
});

// A Node program of a user's (runtime.md's encodeForward sample, then process.exit) run from dist in processes of its own.
describe('monc/runtime/node at process exit', () => {
  const script = `
    import { readFileSync } from 'node:fs';
    const { MapRunner, decodeManifest, getSharedDevice } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist/src/runtime/node.js')).href)});
    const manifest = decodeManifest(JSON.parse(readFileSync('gen/up.json', 'utf8')));
    const wgsl = readFileSync('gen/up.wgsl', 'utf8');
    const map = manifest.maps[0];
    const up = await MapRunner.create(map, wgsl, { backend: 'webgpu' });
    up.loadParams(Object.fromEntries(map.params.map((e) => [e.name, new Float32Array(e.shape.reduce((a, b) => a * b, 1)).fill(0.01)])));
    const { device } = await getSharedDevice();
    const x = device.createBuffer({ size: 256 * 64 * 4, usage: GPUBufferUsage.STORAGE });
    const y = device.createBuffer({ size: 256 * 256 * 4, usage: GPUBufferUsage.STORAGE });
    const encoder = device.createCommandEncoder();
    for (let i = 0; i < 4; i++) up.encodeForward(encoder, x, y, 256);
    device.queue.submit([encoder.finish()]);
    if (process.argv[2] === 'throw') throw new Error('a bug of the program');
    process.exit(0);`;

  // Dawn tearing down with the submitted work in flight crashed Node (SIGSEGV) in about two runs of three.
  it('process.exit() right after submitting encoded work exits cleanly, run after run; an uncaught exception prints its stack', () => {
    writeFileSync(scratch.path('up.mon'), 'map up : 64 -> 256 = monarch(nblocks: 4)\n');
    expect(monc('build', 'up.mon', '--out', 'gen').status).toBe(0);
    writeFileSync(scratch.path('exit.mjs'), script);
    for (let run = 0; run < 3; run++) {
      const r = spawnSync(process.execPath, [scratch.path('exit.mjs')], { cwd: scratch.dir, encoding: 'utf8' });
      expect({ run, status: r.status, signal: r.signal }, r.stderr).toEqual({ run, status: 0, signal: null });
    }
    const thrown = spawnSync(process.execPath, [scratch.path('exit.mjs'), 'throw'], { cwd: scratch.dir, encoding: 'utf8' });
    expect({ status: thrown.status, signal: thrown.signal }).toEqual({ status: 1, signal: null });
    expect(thrown.stderr).toContain('Error: a bug of the program');
  }, 600_000); // four processes, each starting Dawn and compiling the kernels on SwiftShader: 32 s quiet, past 120 s at load ~20 (s15 mid CI)
});

describe('scripts/run-examples.mjs', () => {
  const runner = (...args: string[]) => spawnSync(process.execPath, [join(root, 'scripts/run-examples.mjs'), ...args], { cwd: root, encoding: 'utf8' });

  // The cheapest example to run on SwiftShader: 16 s of CPU (butterfly-mixer's four maps 23 s, pixelfly 21 s).
  it('runs an example on WebGPU and checks it against the reference', () => {
    const r = runner('examples/monarch-explicit.mon');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^monarch-explicit\s+builtin\s+1024 -> 1024\s+65,536 \/ 1,048,576\s+3\s+webgpu\s+\S+ \(≤ 1e-5\)\s+ok/m);
    expect(r.stdout).toContain('all 2 maps match the float64 reference');
  });

  it('fails when an example does not check', () => {
    writeFileSync(scratch.path('broken.mon'), 'map m : 16 -> 16 = monarch(nblocks: 3)\n');
    const r = runner(scratch.path('broken.mon'));
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^broken\s+\(all\)\s+FAIL$/m);
    expect(r.stderr).toContain('error:');
  });
});
