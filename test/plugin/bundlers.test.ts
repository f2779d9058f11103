/**
 * The plugin under each bundler: a `.mon` import becomes the generated module (it runs, and
 * matches the float64 reference), a spec error fails the build at the right line and column,
 * and the `.mon.d.ts` declarations appear beside the spec.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rollup, type RollupError } from 'rollup';
import * as esbuild from 'esbuild';
import { build as viteBuild, createServer, type Plugin, type ViteDevServer } from 'vite';
import { monc } from '../../src/plugin/index.js';
import { writeNpy } from '../../src/runtime/formats/npy.js';
import { BROKEN_MON, esbuildMain, FFN_MON, firstSchedule, RUNTIME_SOURCE, tempProject, tunedDb, type TempProject } from './fixtures.js';
import { referenceApply } from '../support/reference.js';
// The bundles run on the CPU backend, an opt-in entry of the runtime (monc/runtime/cpu).
import '../../src/runtime/cpu.js';

const ENTRY = `export { up, mixer, Up } from './ffn.mon';\n`;
let project: TempProject | undefined;

afterEach(() => {
  project?.remove();
  project = undefined;
});

function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    diff += (got[i] - want[i]) ** 2;
    norm += want[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

/** Imports a bundle written to disk and runs its `up` map on the CPU backend against the reference. */
async function runBundledUp(file: string): Promise<number> {
  const bundle = await import(pathToFileURL(file).href);
  expect(bundle.up).toBe(bundle.Up);
  expect([bundle.Up.in, bundle.Up.out]).toEqual([16, 32]);
  const map = await bundle.Up.create({ backend: 'cpu' });
  const params = new Map<string, Float32Array>(
    bundle.Up.manifest.params.map((p: { name: string; shape: number[] }, i: number) => [
      p.name,
      Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, (_, k) => Math.sin(k * 0.37 + i)),
    ]),
  );
  map.loadParams(Object.fromEntries(params));
  const x = Float32Array.from({ length: 3 * 16 }, (_, k) => Math.cos(k * 0.11));
  const y: Float32Array = await map.forward(x, 3);
  return relativeError(y, referenceApply(bundle.Up.manifest.model, params, x, 3));
}

describe('rollup', () => {
  it('bundles a .mon import into the generated module, which runs and writes its declarations', async () => {
    project = tempProject({ 'ffn.mon': FFN_MON, 'main.js': ENTRY });
    const bundle = await rollup({ input: join(project.root, 'main.js'), plugins: [monc.rollup({ runtime: RUNTIME_SOURCE })], external: [RUNTIME_SOURCE] });
    const out = join(project.root, 'out/main.js');
    await bundle.write({ file: out, format: 'es' });
    await bundle.close();
    expect(await runBundledUp(out)).toBeLessThan(1e-5);
    const dts = readFileSync(join(project.root, 'ffn.mon.d.ts'), 'utf8');
    expect(dts).toContain('export declare class Up extends TypedMap<UpParams>');
    expect(dts).toContain("readonly 'up.blkdiag1': Float32Array;");
  });

  it('fails on a spec error with its location and the rendered diagnostic', async () => {
    project = tempProject({ 'ffn.mon': BROKEN_MON, 'main.js': ENTRY });
    const file = join(project.root, 'ffn.mon');
    const failed = rollup({ input: join(project.root, 'main.js'), plugins: [monc.rollup({ runtime: RUNTIME_SOURCE })], external: [RUNTIME_SOURCE] });
    const error = (await failed.then(() => undefined, (e: RollupError) => e))!;
    expect(error).toBeDefined();
    // `k` is at line 3, column 43 (1-based); Rollup's columns are 0-based.
    expect(error.loc).toEqual({ file, line: 3, column: 42 });
    expect(error.message).toMatch(new RegExp(`${file}:3:43: error: .*\\[E\\d+\\]\n.*monarch\\(nblocks: k\\)`));
    expect(existsSync(join(project.root, 'ffn.mon.d.ts'))).toBe(false);
  });
});

describe('esbuild', () => {
  it('bundles a .mon import into the generated module, which runs', async () => {
    project = tempProject({ 'ffn.mon': FFN_MON, 'main.js': ENTRY });
    const out = await esbuildMain(project);
    expect(await runBundledUp(out)).toBeLessThan(1e-5);
    expect(existsSync(join(project.root, 'ffn.mon.d.ts'))).toBe(false);
  });

  it('reports a spec error as a located esbuild message', async () => {
    project = tempProject({ 'ffn.mon': BROKEN_MON, 'main.js': ENTRY });
    const result = await esbuild
      .build({ entryPoints: [join(project.root, 'main.js')], bundle: true, write: false, external: [RUNTIME_SOURCE], plugins: [monc.esbuild({ runtime: RUNTIME_SOURCE })], logLevel: 'silent' })
      .then(() => undefined, (e: esbuild.BuildFailure) => e);
    expect(result?.errors).toHaveLength(1);
    const [error] = result!.errors;
    expect(error.location).toMatchObject({ line: 3, column: 42 });
    expect(error.location?.file.endsWith('ffn.mon')).toBe(true);
    expect(error.text).toContain(':3:43: error:');
    // esbuild frames the location with the line it is given (it reads no file): the spec's line 3.
    expect(error.location?.lineText).toBe(BROKEN_MON.split('\n')[2]);
    expect(error.location?.lineText.length).toBeGreaterThan(42);
  });
});

describe('vite', () => {
  it('fails the build on a spec error with its location', async () => {
    project = tempProject({ 'ffn.mon': BROKEN_MON, 'main.js': ENTRY });
    const error = await viteBuild({
      root: project.root,
      configFile: false,
      logLevel: 'silent',
      plugins: [monc.vite({ runtime: RUNTIME_SOURCE })],
      build: { lib: { entry: 'main.js', formats: ['es'] }, write: false, rollupOptions: { external: [RUNTIME_SOURCE] } },
    }).then(() => undefined, (e: Error & { errors?: RollupError[] }) => e);
    const file = join(project.root, 'ffn.mon');
    expect(error?.message).toContain(`${file}:3:43: error:`);
    // Vite 8 (Rolldown) gathers the plugin errors of a build under `errors`.
    expect(error?.errors?.[0]?.loc).toEqual({ file, line: 3, column: 42 });
  });
});

describe('vite, a spec imported by a Web Worker', () => {
  // Vite bundles a worker with `worker.plugins`, not `plugins`: with `plugins: [monc()]` alone a spec imported there was
  // parsed as JavaScript in `vite build` (QA2 s22 Q154), while `vite dev` serves workers through `plugins` and worked.
  /** The worker chunk's code of a build of main.js, whose worker imports the spec (and `virtual:seven`, which `userPlugins` serve). */
  async function workerCode(userPlugins?: () => Plugin[]): Promise<string> {
    project = tempProject({
      'ffn.mon': FFN_MON,
      'main.js': `export const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });\n`,
      'worker.js': `import { Up } from './ffn.mon';\n${userPlugins ? `import seven from 'virtual:seven';\n` : ''}self.postMessage([${userPlugins ? 'seven, ' : ''}Up.in, Up.manifest.params.map((p) => p.name)]);\n`,
    });
    const output = await viteBuild({
      root: project.root,
      configFile: false,
      logLevel: 'silent',
      plugins: [monc.vite({ runtime: RUNTIME_SOURCE })],
      worker: { format: 'es', ...(userPlugins ? { plugins: userPlugins } : {}) },
      build: { write: false, minify: false, rollupOptions: { input: join(project.root, 'main.js') } },
    });
    const files = (Array.isArray(output) ? output : [output]).flatMap((o) => ('output' in o ? o.output : []));
    const worker = files.find((f) => /worker.*\.js$/.test(f.fileName));
    expect(worker, files.map((f) => f.fileName).join(', ')).toBeDefined();
    return worker!.type === 'chunk' ? worker!.code : String(worker!.source);
  }

  it('builds with the plugin in `plugins` alone: the worker chunk holds the generated module', async () => {
    expect(await workerCode()).toContain('up.blkdiag1');
  });

  it("keeps the user's own worker plugins, monc among them or not", async () => {
    const seven: Plugin = { name: 'seven', resolveId: (id) => (id === 'virtual:seven' ? '\0seven' : null), load: (id) => (id === '\0seven' ? 'export default 7;' : null) };
    for (const userPlugins of [() => [seven], () => [seven, monc.vite({ runtime: RUNTIME_SOURCE })]]) {
      const code = await workerCode(userPlugins);
      expect(code).toContain('up.blkdiag1');
      expect(code).toMatch(/self\.postMessage\(\[\s*7,/); // virtual:seven, from the user's plugin
      project?.remove();
    }
  });
});

describe('vite dev', () => {
  /** Transforms `url` until its code passes `probe` (the dev server's watcher invalidates it on changes). */
  async function eventually(server: ViteDevServer, url: string, probe: (code: string) => boolean): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (!probe((await server.transformRequest(url))?.code ?? '')) {
      if (Date.now() > deadline) throw new Error(`${url} did not change within 15 s`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }

  it('writes the declarations at startup and serves the spec as a module that follows edits of the spec, its mask and the tuning database', async () => {
    const spec = (n: number) => `module sp\nmap s : ${n} -> ${n} = sparse(block: ${n / 2}, pattern: "mask.npy")\n`;
    project = tempProject({ 'sp.mon': spec(16), 'other/unused.mon': 'map z : 4 -> 4 = dense()\n', 'index.html': '<script type="module" src="/main.js"></script>', 'main.js': `export { s } from './sp.mon';\n` });
    writeFileSync(join(project.root, 'mask.npy'), writeNpy([1, 0, 0, 1], [2, 2]));
    const tuning = join(project.root, 'tuning.json');
    const server = await createServer({ root: project.root, configFile: false, logLevel: 'silent', plugins: [monc.vite({ runtime: RUNTIME_SOURCE, tuning })], server: { ws: false } });
    try {
      // Every spec of the project gets its types, imported or not.
      expect(readFileSync(join(project.root, 'other/unused.mon.d.ts'), 'utf8')).toContain('export declare class Z');
      expect((await server.transformRequest('/sp.mon'))?.code).toContain('static in = 16');
      writeFileSync(join(project.root, 'sp.mon'), spec(8));
      await eventually(server, '/sp.mon', (code) => code.includes('static in = 8'));
      expect(readFileSync(join(project.root, 'sp.mon.d.ts'), 'utf8')).toContain('static readonly in = 8');
      writeFileSync(join(project.root, 'mask.npy'), writeNpy([1, 1, 0, 1], [2, 2]));
      await eventually(server, '/sp.mon', (code) => code.includes('"paramCount": 48'));
      // The tuning database appears (the first `monc tune`): the kernel takes the tuned schedule.
      const tuned = tunedDb(join(project.root, 'sp.mon'));
      expect(firstSchedule((await server.transformRequest('/sp.mon'))!.code)).not.toEqual(tuned.schedule);
      writeFileSync(tuning, tuned.text);
      await eventually(server, '/sp.mon', (code) => JSON.stringify(firstSchedule(code)) === JSON.stringify(tuned.schedule));
    } finally {
      await server.close();
    }
  });

  // QA2 s30 Q958: a database whose folder did not exist at startup (the default one before the first `monc tune`) was never
  // picked up, neither when it appeared nor when it changed.
  it('follows a tuning database whose folder does not exist yet: its appearance and its later edits recompile the spec', async () => {
    project = tempProject({ 'm.mon': 'module m\nmap up : 64 -> 64 = monarch(nblocks: 8)\n', 'main.js': `export { up } from './m.mon';\n` });
    // Outside the project's root, as ~/.cache/monc is (the root itself is watched whole).
    const home = mkdtempSync(join(tmpdir(), 'monc-q958-'));
    const tuning = join(home, 'cache', 'monc', 'tuning.json');
    const server = await createServer({ root: project.root, configFile: false, logLevel: 'silent', plugins: [monc.vite({ runtime: RUNTIME_SOURCE, tuning, dts: false })], server: { ws: false } });
    try {
      const untuned = firstSchedule((await server.transformRequest('/m.mon'))!.code);
      const tuned = tunedDb(join(project.root, 'm.mon'));
      expect(untuned).not.toEqual(tuned.schedule);
      mkdirSync(dirname(tuning), { recursive: true });
      writeFileSync(tuning, tuned.text);
      await eventually(server, '/m.mon', (code) => JSON.stringify(firstSchedule(code)) === JSON.stringify(tuned.schedule));
      // Edited again (its entry removed): the default schedule comes back.
      writeFileSync(tuning, JSON.stringify({ ...JSON.parse(tuned.text), entries: [] }));
      await eventually(server, '/m.mon', (code) => JSON.stringify(firstSchedule(code)) === JSON.stringify(untuned));
    } finally {
      await server.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  // QA2 s30 Q959: a mask missing when the spec was first imported was never followed: its appearance reloaded nothing.
  it('follows a mask that does not exist when its spec is first imported: its appearance recompiles the spec', async () => {
    project = tempProject({ 'm.mon': 'module m\nmap up : 16 -> 16 = sparse(block: 8, pattern: "masks/k.npy")\n', 'main.js': `export { up } from './m.mon';\n` });
    const server = await createServer({ root: project.root, configFile: false, logLevel: 'silent', plugins: [monc.vite({ runtime: RUNTIME_SOURCE, tuning: false, dts: false })], server: { ws: false } });
    // The page reloads on the server's full-reload message (a failed module is transformed anew on any request).
    let reloads = 0;
    server.ws.send = ((payload: { type?: string }) => void (payload?.type === 'full-reload' && reloads++)) as typeof server.ws.send;
    // QA2 s31 Q959 (REV31-7): the appeared mask is handed to the dev server's watcher, whose own watch of a folder made
    // after it started misses the mask's later edits (Vite 8.4.1), while the mask's load() reaches the watcher only
    // for files outside the root.
    const watched: string[] = [];
    const add = server.watcher.add.bind(server.watcher);
    server.watcher.add = ((paths: string | readonly string[]) => (watched.push(...[paths].flat()), add(paths))) as typeof server.watcher.add;
    try {
      await expect(server.transformRequest('/m.mon')).rejects.toThrow(/cannot read mask/);
      mkdirSync(join(project.root, 'masks'));
      writeFileSync(join(project.root, 'masks', 'k.npy'), writeNpy([1, 0, 0, 1], [2, 2]));
      const deadline = Date.now() + 15_000;
      while (reloads === 0) {
        if (Date.now() > deadline) throw new Error('no reload within 15 s of the mask');
        await new Promise((ok) => setTimeout(ok, 100));
      }
      expect((await server.transformRequest('/m.mon'))?.code).toContain('static in = 16');
      expect(watched.map((path) => resolve(path))).toContain(resolve(project.root, 'masks', 'k.npy'));
    } finally {
      await server.close();
    }
  });

  // QA2 s23 Q252: the declarations of an edited spec were written only when something requested its module again.
  it('rewrites the declarations when a spec or its mask is edited, with no request of the module', async () => {
    const spec = (n: number) => `module sp\nmap s : ${n} -> ${n} = sparse(block: ${n / 2}, pattern: "mask.npy")\n`;
    project = tempProject({ 'sp.mon': spec(16), 'other/unused.mon': 'map z : 4 -> 4 = dense()\n', 'main.js': `export { s } from './sp.mon';\n` });
    writeFileSync(join(project.root, 'mask.npy'), writeNpy([1, 0, 0, 1], [2, 2]));
    const server = await createServer({ root: project.root, configFile: false, logLevel: 'silent', plugins: [monc.vite({ runtime: RUNTIME_SOURCE, tuning: false })], server: { ws: false } });
    const declarations = (file: string) => readFileSync(join(project!.root, file), 'utf8');
    /** Waits until `file` passes `probe` (the dev server's watcher reports the edit a little later). */
    const eventually = async (file: string, probe: (text: string) => boolean) => {
      const deadline = Date.now() + 15_000;
      while (!probe(declarations(file))) {
        if (Date.now() > deadline) throw new Error(`${file} did not change within 15 s`);
        await new Promise((ok) => setTimeout(ok, 100));
      }
    };
    try {
      expect((await server.transformRequest('/sp.mon'))?.code).toContain('static in = 16');
      expect(declarations('sp.mon.d.ts')).toContain("'s.values': readonly [2, 8, 8]");
      writeFileSync(join(project.root, 'sp.mon'), `${spec(16)}map extra : 8 -> 8 = dense()\n`);
      await eventually('sp.mon.d.ts', (text) => text.includes('export declare class Extra'));
      writeFileSync(join(project.root, 'mask.npy'), writeNpy([1, 1, 0, 1], [2, 2]));
      await eventually('sp.mon.d.ts', (text) => text.includes("'s.values': readonly [3, 8, 8]"));
      // A spec no page imports had its declarations at startup: they follow it too.
      writeFileSync(join(project.root, 'other/unused.mon'), 'map z : 4 -> 6 = dense()\n');
      await eventually('other/unused.mon.d.ts', (text) => text.includes('static readonly out = 6'));
    } finally {
      await server.close();
    }
  });
});
