/** Temporary projects for the plugin tests: a folder with `.mon` files and an entry module. */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { afterEach } from 'vitest';
import { build as viteBuild, type Rollup } from 'vite';
import { compileKernels } from '../../src/compile-kernels.js';
import { candidates, defaultSchedule } from '../../src/codegen/wgsl/families.js';
import { DEFAULT_LIMITS, type Schedule } from '../../src/codegen/wgsl/kernel.js';
import { emptyDb, kernelSignature, serializeDb, type TuningEntry } from '../../src/tuner/db.js';
import { MONC_VERSION } from '../../src/version.js';
import { recordingMaskResolver } from '../../src/node/mask-files.js';
import { monc, type MoncPluginOptions } from '../../src/plugin/index.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The browser-safe runtime entry, from source: what `monc/runtime` is once the package is built. */
export const RUNTIME_SOURCE = join(REPO, 'src/runtime/index.ts');

export const FFN_MON = `module ffn
const d = 16
map up    : d -> 2 * d = monarch(nblocks: 4)
map mixer : d -> d = butterfly(radix: 2)
`;

/** A spec with one located error: `k` is not defined (line 3). */
export const BROKEN_MON = `module ffn
const d = 16
map up    : d -> 2 * d = monarch(nblocks: k)
`;

export interface TempProject {
  readonly root: string;
  write(path: string, text: string): string;
  remove(): void;
}

export function tempProject(files: Readonly<Record<string, string>>): TempProject {
  const root = mkdtempSync(join(tmpdir(), 'monc-plugin-'));
  const write = (path: string, text: string) => {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  };
  for (const [path, text] of Object.entries(files)) write(path, text);
  return { root, write, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * A tuning database for the spec in `file` that gives its first map's first op a schedule other than the
 * default (the last other candidate), and that schedule.
 */
export function tunedDb(file: string): { readonly text: string; readonly schedule: Schedule } {
  const { programs } = compileKernels(readFileSync(file, 'utf8'), file, { resolveMask: recordingMaskResolver().resolve });
  const op = programs![0].ops[0];
  const byDefault = JSON.stringify(defaultSchedule(op, DEFAULT_LIMITS));
  const schedule = candidates(op, DEFAULT_LIMITS).filter((s) => JSON.stringify(s) !== byDefault).at(-1);
  if (!schedule) throw new Error('test spec: the op has a single schedule');
  const entry: TuningEntry = {
    adapter: { vendor: 'test', architecture: 'test', device: '', description: '', features: [], limits: { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupStorageSize: 16384 } },
    compiler: MONC_VERSION,
    kernel: kernelSignature([op], 'f32'),
    batchBucket: 1,
    schedule,
    ms: 1,
    spread: 0,
    timed: 1,
    date: '2026-01-01T00:00:00.000Z',
  };
  return { text: serializeDb({ ...emptyDb(), entries: [entry] }), schedule };
}

/** The schedule of the first kernel in generated code (the manifest holds it as JSON). */
export function firstSchedule(code: string): Schedule {
  const match = /"schedule": (\{[^}]*\})/.exec(code);
  if (!match) throw new Error('no schedule in the generated code');
  return JSON.parse(match[1]);
}

/**
 * Bundles the project's `main.js` with esbuild and the monc plugin (runtime from the sources, no
 * declarations, plus `options`) into `out/main.js`, the runtime left external; returns that file.
 */
export async function esbuildMain(project: TempProject, options: MoncPluginOptions = {}): Promise<string> {
  const out = join(project.root, 'out/main.js');
  await esbuild.build({
    entryPoints: [join(project.root, 'main.js')],
    bundle: true,
    format: 'esm',
    outfile: out,
    external: [RUNTIME_SOURCE],
    plugins: [monc.esbuild({ runtime: RUNTIME_SOURCE, dts: false, ...options })],
    logLevel: 'silent',
  });
  return out;
}

/**
 * Temporary projects for one test file, each removed after its test: call at the top level, then
 * `project(files)` in a test.
 */
export function tempProjects(): (files: Readonly<Record<string, string>>) => TempProject {
  let current: TempProject | undefined;
  afterEach(() => {
    current?.remove();
    current = undefined;
  });
  return (files) => (current = tempProject(files));
}

/**
 * Builds the project's `main.js` with Vite in library mode and the monc plugin (runtime from the
 * sources, no declarations, plus `options`), unminified, in memory; returns the entry chunk's code.
 */
export async function viteMain(project: TempProject, options: MoncPluginOptions = {}): Promise<string> {
  const built = (await viteBuild({
    root: project.root,
    configFile: false,
    logLevel: 'silent',
    plugins: [monc.vite({ runtime: RUNTIME_SOURCE, dts: false, ...options })],
    build: { lib: { entry: 'main.js', formats: ['es'] }, write: false, minify: false, rollupOptions: { external: [RUNTIME_SOURCE] } },
  })) as Rollup.RollupOutput[];
  return built[0]!.output.find((o) => o.type === 'chunk')!.code;
}
