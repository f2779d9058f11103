/**
 * The package as a user gets it: `npm pack` (which builds through `prepack`), then `npm install`
 * of the tarball into a fresh project outside the repository (dependencies from the npm
 * registry; nothing resolves into the repository's node_modules), then what a user does first:
 * `npx monc --version`, `npx monc build` of a spec, a strict TypeScript program
 * (`skipLibCheck: false`) that imports `monc`, `monc/runtime`, `monc/runtime/node` and the
 * generated module, compiled with the installed `tsc` and run on the CPU and WebGPU backends
 * against values worked out by hand, and again with no WebGPU adapter (the CPU fallback). One
 * pack, one install, every check on it.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '../..');
const version = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version as string;
// Under the OS temp dir, not the repository: module resolution must not find the repo's node_modules.
const work = realpathSync(mkdtempSync(join(tmpdir(), 'monc-install-')));
const project = join(work, 'project');
let packed: readonly string[] = [];
/** The packed tarball's path. */
let tarball = '';

/** npm, npx, node or a bash command line in `cwd`, without the repository's npm/vitest environment leaking in; its stdout and stderr. */
function run(command: 'npm' | 'npx' | 'node' | 'bash', args: readonly string[], cwd: string, extraEnv: Record<string, string> = {}): { stdout: string; stderr: string } {
  // Under `npm test`, npm's script variables describe the repository (npm_package_*,
  // npm_config_local_prefix…): drop those; keep the user's npm configuration (registry, cache).
  const inherited = Object.entries(process.env).filter(
    ([k]) => !(k.startsWith('npm_') && !k.startsWith('npm_config_')) && k !== 'npm_config_local_prefix' && k !== 'npm_config_call' && k !== 'NODE_OPTIONS' && k !== 'VITEST',
  );
  // prefer-offline: packages and metadata already in npm's cache are not revalidated with the registry (four installs
  // here, about 20 s of registry round trips each); what is missing still comes from the registry.
  const env = { ...Object.fromEntries(inherited), npm_config_prefer_offline: 'true', ...extraEnv };
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd} (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}\n${r.stdout}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

const sh = (command: 'npm' | 'npx' | 'node' | 'bash', args: readonly string[], cwd: string): string => run(command, args, cwd).stdout;

/**
 * A copy of what `npm pack` reads (package.json, the sources, the build configuration), packed
 * there: `prepack` builds the copy's dist/, not the working tree's, which other tests run from.
 */
function packableCopy(): string {
  const source = join(work, 'source');
  for (const path of ['package.json', 'README.md', 'LICENSE', 'bin', 'docs', 'src', 'scripts', 'tsconfig.json', 'tsconfig.build.json']) {
    cpSync(join(repo, path), join(source, path), { recursive: true });
  }
  // The build's own tools (tsc, @types); the user's project below never sees them.
  symlinkSync(join(repo, 'node_modules'), join(source, 'node_modules'), 'dir');
  return source;
}

beforeAll(() => {
  mkdirSync(project, { recursive: true });
  const [pack] = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', work], packableCopy())) as { filename: string; files: { path: string }[] }[];
  packed = pack.files.map((f) => f.path);
  tarball = join(work, pack.filename);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'monc-user', private: true, type: 'module' }, null, 2));
  sh('npm', ['install', '--no-audit', '--no-fund', join(work, pack.filename)], project);
}, 420_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

// 12 -> 6, three blocks of 2 x 4: small enough to work out Y by hand below.
const SPEC = 'map m : 12 -> 6 = blockdiag(nblocks: 3)\n';

/** Y = X Mᵀ of that block-diagonal M, from its definition: y[2b + i] = Σ_j W[b, i, j] x[4b + j]. */
function blockDiagonal(w: readonly number[], x: readonly number[], rows: number): number[] {
  const y: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < 3; b++) {
      for (let i = 0; i < 2; i++) {
        let sum = 0;
        for (let j = 0; j < 4; j++) sum += w[b * 8 + i * 4 + j] * x[r * 12 + b * 4 + j];
        y.push(sum);
      }
    }
  }
  return y;
}

// The user's program: strict TypeScript against the published declarations and the generated module.
const PROGRAM = `
import 'monc/runtime/node'; // Dawn as the WebGPU provider in Node
import { checkSource, compileModule, MONC_VERSION } from 'monc';
import { MapRunner, type Backend } from 'monc/runtime';
import { M, type MParams } from './gen/m.js';

const w: MParams = { 'm.weight': Float32Array.from({ length: 24 }, (_, i) => (i % 5) - 2) };
const x = Float32Array.from({ length: 2 * M.in }, (_, i) => i - 5);
const results: { backend: Backend; y: number[] }[] = [];
for (const backend of ['cpu', 'webgpu'] as const) {
  const m = await M.create({ backend });
  m.loadParams(w);
  results.push({ backend: m.runner.backend, y: Array.from(await m.forward(x, 2)) });
  m.destroy();
}
const checked = checkSource('map d : 4 -> 4 = dense()', 'd.mon');
const compiled: unknown = compileModule;
console.log(JSON.stringify({ version: MONC_VERSION, results, checks: checked.module !== undefined, api: typeof compiled === 'function' && typeof MapRunner.create === 'function' }));
`;

// The same map on a machine without a WebGPU adapter: create() falls back, webgpu on request throws.
const FALLBACK = `
import 'monc/runtime/node';
import { NoAdapterError } from 'monc/runtime';
import { M } from './gen/m.js';

const first = await M.create();
const second = await M.create();
let explicit = 'resolved';
try {
  (await M.create({ backend: 'webgpu' })).destroy();
} catch (e) {
  explicit = e instanceof NoAdapterError ? 'NoAdapterError' : String(e);
}
first.loadParams({ 'm.weight': Float32Array.from({ length: 24 }, (_, i) => (i % 5) - 2) });
const y = Array.from(await first.forward(Float32Array.from({ length: 12 }, (_, i) => i - 5)));
console.log(JSON.stringify({ backends: [first.runner.backend, second.runner.backend], note: first.runner.note, explicit, y }));
`;

/** docs/runtime.md's encodeForward sample, importing the install page's generated module (`up : 12 -> 6`, class Up) for the plugin's './ffn.mon'. */
function encoderSample(): string {
  const page = readFileSync(join(repo, 'docs/runtime.md'), 'utf8');
  const [sample] = sectionBlocks(page, '## Recording on your own encoder').filter((b) => b.lang === 'ts');
  expect(sample.code).toContain("from './ffn.mon'");
  return sample.code.replace("from './ffn.mon'", "from './gen/m.js'");
}

/** The fenced code blocks (language, text) of the section of `page` under the heading line `heading`. */
function sectionBlocks(page: string, heading: string): { lang: string; code: string }[] {
  const section = page.split(/\n(?=#{1,6} )/).find((s) => s.startsWith(`${heading}\n`));
  if (section === undefined) throw new Error(`no section '${heading}'`);
  return [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], code: m[2] }));
}

describe('the installed package', () => {
  it('ships dist (JS and declarations), bin, docs, LICENSE and README only', () => {
    const allowed = /^(package\.json|README\.md|LICENSE|bin\/monc\.js|docs\/.+|dist\/src\/.+\.(js|d\.ts))$/;
    expect(packed.filter((p) => !allowed.test(p))).toEqual([]);
    for (const path of ['LICENSE', 'README.md', 'bin/monc.js', 'dist/src/cli/main.js', 'dist/src/index.d.ts', 'dist/src/runtime/index.js', 'docs/language.md']) {
      expect(packed).toContain(path);
    }
    expect(readFileSync(join(project, 'node_modules/monc/LICENSE'), 'utf8')).toContain('Copyright (c) 2026 the monc authors');
  });

  it('npx monc --version prints the package version', () => {
    expect(sh('npx', ['--no-install', 'monc', '--version'], project).trim()).toBe(version);
  });

  it('monc build, then a strict user program (skipLibCheck: false) compiles with tsc and runs on the CPU and WebGPU', () => {
    writeFileSync(join(project, 'm.mon'), SPEC);
    sh('npx', ['--no-install', 'monc', 'build', 'm.mon', '--out', 'gen'], project);
    expect(existsSync(join(project, 'gen/m.ts'))).toBe(true);

    writeFileSync(join(project, 'main.ts'), PROGRAM);
    writeFileSync(join(project, 'fallback.ts'), FALLBACK);
    const compilerOptions = { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: false, outDir: 'build' };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['main.ts', 'fallback.ts', 'gen'] }, null, 2));
    sh('npx', ['--no-install', 'tsc', '-p', '.'], project);

    const out = JSON.parse(sh('node', ['build/main.js'], project));
    const w = Array.from({ length: 24 }, (_, i) => (i % 5) - 2);
    const x = Array.from({ length: 24 }, (_, i) => i - 5);
    const want = blockDiagonal(w, x, 2);
    expect(want.slice(0, 6)).toEqual([12, 1, -5, -2, 14, -4]); // row 0, worked out by hand
    expect(out).toMatchObject({ version, checks: true, api: true });
    expect(out.results.map((r: { backend: string }) => r.backend)).toEqual(['cpu', 'webgpu']);
    for (const { y } of out.results) {
      expect(y).toHaveLength(12);
      y.forEach((v: number, i: number) => expect(v).toBeCloseTo(want[i], 5));
    }
  });

  it('without a WebGPU adapter, create() runs on the CPU and warns once; backend webgpu throws NoAdapterError', () => {
    // Built by the test above. No Vulkan driver at all: Dawn finds no adapter.
    const { stdout, stderr } = run('node', ['build/fallback.js'], project, { VK_ICD_FILENAMES: join(work, 'no-such-icd.json') });
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ backends: ['cpu', 'cpu'], explicit: 'NoAdapterError' });
    expect(out.note).toMatch(/^no WebGPU adapter: .*; running on the CPU executor$/);
    expect(stderr.match(/^monc: no WebGPU adapter: .*$/gm)).toEqual([`monc: ${out.note}`]);
    expect(out.y).toEqual([12, 1, -5, -2, 14, -4]); // row 0 of the hand-worked values above
  });

  // What the page's `npm install monc typescript @types/node` gives a user today: the latest TypeScript (7 when this was
  // written, whose lib.dom declares WebGPU and which loads no @types by default), then TypeScript 6 the same way. Three
  // tests, run in order in one folder: at load 23 on this 2-core machine each step is slow (the first install 31 s, each
  // whole-program tsc of TypeScript 5.9 or 6 30-40 s, checking some 62,000 lines of declarations, the sample's run 26 s),
  // and as one test they passed its 300 s (s14 mid CI) where a quiet run takes 92 s.
  describe("docs/install.md's first program, run as the page says from an empty folder (npm init -y)", () => {
    const page = readFileSync(join(repo, 'docs/install.md'), 'utf8');
    const heading = '## From a spec to a running map';
    const dir = join(work, 'install-page');
    const command = page.split(heading)[1].match(/^`(npx tsc && node build\/main\.js)`/m)?.[1];
    const tscVersion = () => sh('npx', ['--no-install', 'tsc', '--version'], dir).trim();

    it('compiles and runs with the latest TypeScript', () => {
      const blocks = sectionBlocks(page, heading);
      mkdirSync(dir);
      const lines = blocks.filter((b) => b.lang === 'sh').flatMap((b) => b.code.split('\n')).map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l !== '');
      expect(lines[0]).toBe('npm init -y');
      for (const line of lines) {
        // The registry has no monc of this version: the tarball stands for it; the other packages come from the registry.
        if (line.startsWith('npm install ')) sh('npm', ['install', '--no-audit', '--no-fund', ...line.split(/\s+/).slice(2).map((p) => (p === 'monc' ? tarball : p))], dir);
        else sh('bash', ['-c', line], dir);
      }
      const [program] = blocks.filter((b) => b.lang === 'ts');
      const [tsconfig] = blocks.filter((b) => b.lang === 'json');
      expect(program.code.split('\n')[0]).toBe('// main.ts');
      writeFileSync(join(dir, 'main.ts'), program.code);
      writeFileSync(join(dir, 'tsconfig.json'), tsconfig.code);
      expect(command).toBeDefined();
      sh('bash', ['-c', command!], dir);
      expect(existsSync(join(dir, 'build/main.js'))).toBe(true);
      console.info(`docs/install.md's sample compiled with TypeScript ${tscVersion()}`);
    }, 300_000);

    // runtime.md's encoder sample (buffers of the user's own: GPUBufferUsage) type-checks under TypeScript 6 with
    // install.md's declaration of the flag constants, which its lib.dom lacks: checked in the same tsc run as the page's program.
    it("compiles and runs with TypeScript 6, and runtime.md's encoder sample type-checks beside it with the page's flag declarations", () => {
      expect(existsSync(join(dir, 'build/main.js')), 'the test before this one').toBe(true);
      sh('npm', ['install', '--no-audit', '--no-fund', 'typescript@6'], dir);
      expect(tscVersion()).toMatch(/^Version 6\./);
      rmSync(join(dir, 'build'), { recursive: true });
      writeFileSync(join(dir, 'encoder.ts'), encoderSample());
      const flags = sectionBlocks(page, '### Types').find((b) => b.lang === 'ts')!.code;
      expect(flags.split('\n')[0]).toMatch(/^\/\/ webgpu-flags\.d\.ts/);
      writeFileSync(join(dir, 'webgpu-flags.d.ts'), flags);
      sh('bash', ['-c', command!], dir);
      expect(existsSync(join(dir, 'build/main.js'))).toBe(true);
      expect(existsSync(join(dir, 'build/encoder.js'))).toBe(true);
    }, 300_000);

    // TypeScript 5.9 is the one monc depends on, installed beside it in the first project: its compiler checks this folder's
    // program as one installed here would (libraries from its own package, types and modules from this folder's node_modules)
    // without another install (10-40 s of registry round trips).
    it("runtime.md's encoder sample type-checks under TypeScript 5.9 without the flag declarations (@webgpu/types)", () => {
      expect(existsSync(join(dir, 'encoder.ts')), 'the test before this one').toBe(true);
      const tsc = join(project, 'node_modules/typescript/bin/tsc');
      expect(sh('node', [tsc, '--version'], dir)).toMatch(/^Version 5\.9\./);
      rmSync(join(dir, 'webgpu-flags.d.ts'));
      sh('node', [tsc, '-p', '.', '--noEmit'], dir);
    }, 300_000);
  });

  it('a program whose only monc import is monc/runtime/training type-checks (TypeScript 5.9: its declarations bring the WebGPU types)', () => {
    writeFileSync(join(project, 'train-only.ts'), "import { FitStopped, type BackwardResult } from 'monc/runtime/training';\nexport const stopped = (e: unknown): e is FitStopped => e instanceof FitStopped;\nexport type Result = BackwardResult;\n");
    const compilerOptions = { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: false, noEmit: true };
    writeFileSync(join(project, 'tsconfig.train-only.json'), JSON.stringify({ compilerOptions, files: ['train-only.ts'] }));
    expect(sh('npx', ['--no-install', 'tsc', '--version'], project)).toMatch(/^Version 5\./);
    sh('npx', ['--no-install', 'tsc', '-p', 'tsconfig.train-only.json'], project);
  });

  it("import('monc'), import('monc/runtime') and import('monc/project') load in plain Node; the runtime entry carries no compiler or projection", () => {
    const script = `
      const monc = await import('monc');
      const runtime = await import('monc/runtime');
      const projection = await import('monc/project');
      console.log(JSON.stringify({
        monc: ['checkSource', 'compileModule', 'MapRunner', 'emitBindings', 'modelOf'].filter((k) => typeof monc[k] !== 'function'),
        runtime: ['MapRunner', 'TypedMap', 'readSafetensors'].filter((k) => typeof runtime[k] !== 'function'),
        project: ['project', 'projectInto'].filter((k) => typeof projection[k] !== 'function'),
        compilerInRuntime: ['checkSource', 'compileModule', 'emitBindings', 'modelOf', 'project', 'projectInto'].filter((k) => k in runtime),
      }));`;
    expect(JSON.parse(sh('node', ['--input-type=module', '-e', script], project))).toEqual({ monc: [], runtime: [], project: [], compilerInRuntime: [] });
  });

  it("the opt-in entries monc/runtime/cpu, monc/runtime/training and monc/runtime/host-io load in plain Node: before them the cpu backend and a staging are refused, after them a cpu runner trains and lends a staging", () => {
    // gen/m.json and gen/m.wgsl: written by the `monc build` above.
    const script = `
      import { readFileSync } from 'node:fs';
      const { MapRunner } = await import('monc/runtime');
      const manifest = JSON.parse(readFileSync('gen/m.json', 'utf8'));
      const wgsl = readFileSync('gen/m.wgsl', 'utf8');
      const before = await MapRunner.create(manifest.maps[0], wgsl, { backend: 'cpu' }).then(() => 'resolved', (e) => e.kind + ': ' + e.message);
      await import('monc/runtime/cpu');
      await import('monc/runtime/training');
      const runner = await MapRunner.create(manifest.maps[0], wgsl, { backend: 'cpu', training: true });
      runner.loadParams({ 'm.weight': Float32Array.from({ length: 24 }, (_, i) => (i % 5) - 2) });
      const { dx } = await runner.backward(new Float32Array(12), Float32Array.from([1, 0, 0, 0, 0, 0]));
      let stagingBefore = 'created';
      try { runner.createStaging(1); } catch (e) { stagingBefore = e.kind + ': ' + e.message; }
      await import('monc/runtime/host-io');
      const staging = runner.createStaging(1);
      (await staging.input()).set(Float32Array.from({ length: 12 }, (_, i) => i - 5));
      const y = Array.from(await staging.run());
      console.log(JSON.stringify({ before, dx: Array.from(dx), stagingBefore, y }));`;
    const out = JSON.parse(sh('node', ['--input-type=module', '-e', script], project));
    expect(out.before).toMatch(/^user: map 'm': the cpu backend needs monc\/runtime\/cpu: add import 'monc\/runtime\/cpu'/);
    // dx = DY M with DY = e_0: row 0 of M, block 0's first row (weights 0..3 of the pattern above).
    expect(out.dx).toEqual([-2, -1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(out.stagingBefore).toMatch(/^user: map 'm': createStaging needs monc\/runtime\/host-io: add import 'monc\/runtime\/host-io'/);
    expect(out.y).toEqual([12, 1, -5, -2, 14, -4]); // row 0 of the hand-worked values above
  });
});
