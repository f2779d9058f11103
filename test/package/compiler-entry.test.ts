/**
 * `monc/compiler`, the compiler's browser-safe half (src/compiler.ts): a page that compiles `.mon`
 * source itself bundles it for the browser (esbuild refuses Node built-ins there) without the
 * TypeScript compiler (ts-morph, which the `monc` entry's binding emitters pull in), the ONNX
 * exporter or anything of the host; what it compiles is what the full compiler compiles, and its
 * declarations need neither DOM nor WebGPU types (they type-check with lib ES2022 alone).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { compileKernels } from '../../src/compile-kernels.js';

const repo = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'monc-compiler-entry-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SPEC = `module page
map up : 48 -> 96 = monarch(nblocks: 4) + bias()
map sp : 64 -> 64 = sparse(block: 8, pattern: band(width: 1)) + lowrank(rank: 3)
`;
/** The bundle was 353 kB in session 12 (chevrotain and lodash-es are most of the rest); the whole `monc` entry bundles 7.6 MB. */
const BUNDLE_LIMIT = 450_000;
/** npm packages of the Node-side compiler (binding emitters, ONNX export, Dawn, the CLI). */
const FORBIDDEN_PACKAGES = ['ts-morph', '@ts-morph', 'typescript', 'protobufjs', 'onnx-proto', 'webgpu', 'commander'];

describe('monc/compiler', () => {
  it('bundles for the browser without ts-morph, protobuf, the host or the runtime, and compiles as the full compiler does', async () => {
    const file = join(work, 'compiler.mjs');
    const result = await esbuild.build({
      entryPoints: [join(repo, 'src/compiler.ts')],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      outfile: file,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    const packages = new Set(inputs.filter((p) => p.includes('node_modules/')).map((p) => p.split('node_modules/').pop()!.split('/')[0]));
    expect([...packages].filter((p) => FORBIDDEN_PACKAGES.includes(p))).toEqual([]);
    const ours = inputs.filter((p) => !p.includes('node_modules/')).map((p) => relative(repo, join(process.cwd(), p)));
    expect(ours.filter((p) => /^src\/(cli|node|plugin|export|tuner|project|runtime)\//.test(p) || /codegen\/ts\//.test(p))).toEqual([]);
    const bytes = result.metafile.outputs[relative(process.cwd(), file)].bytes;
    expect(bytes).toBeLessThan(BUNDLE_LIMIT);
    // The pages' "about N kB minified" (tens of kB) is this bundle's size (QA2 s30 Q953: they said 350 at 370,221 bytes).
    for (const page of ['install.md', 'bundler.md']) {
      const said = [...readFileSync(join(repo, 'docs', page), 'utf8').matchAll(/about (\d+) kB minified/g)].map((m) => Number(m[1]));
      expect(said.length, page).toBeGreaterThan(0);
      for (const kb of said) expect(kb, `${page}: about ${kb} kB minified, bundle ${bytes} bytes`).toBe(Math.round(bytes / 10_000) * 10);
    }

    const bundled = (await import(pathToFileURL(file).href)) as typeof import('../../src/compiler.js');
    const fromPage = bundled.compileKernels(SPEC, 'page.mon');
    const full = compileKernels(SPEC, 'page.mon');
    expect(fromPage.diagnostics).toEqual([]);
    expect(fromPage.outputs?.wgsl).toBe(full.outputs?.wgsl);
    expect(fromPage.outputs?.manifestJson).toBe(full.outputs?.manifestJson);
    const bad = bundled.checkSource('map f : 4 -> 4 = monarch(nblocks: 3)', 'bad.mon');
    expect(bundled.formatDiagnostics(bad.diagnostics, 'map f : 4 -> 4 = monarch(nblocks: 3)')).toContain('bad.mon:1:');
  });

  it('its declarations type-check without DOM or WebGPU types', () => {
    const config = join(work, 'tsconfig.json');
    writeFileSync(
      config,
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types: [], skipLibCheck: false },
        files: [join(repo, 'src/compiler.ts')],
      }),
    );
    execFileSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', config], { encoding: 'utf8' });
  });
});
