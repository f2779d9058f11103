/**
 * Fuzzing the whole front end (checker, IR, WGSL and TypeScript emitters) with a fixed seed:
 * random token soup, mutations of the examples (scaled down) and random well-formed specs. Every
 * input must end in outputs or diagnostics, within a time bound, never in an exception; a sample
 * of the accepted specs must give TypeScript that type-checks (one program for all of them) and
 * WGSL that Dawn's compiler accepts.
 */
import { fc } from '@fast-check/vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileKernels } from '../../src/compile-kernels.js';
import { compileModule } from '../../src/compile.js';
import { formatDiagnostics } from '../../src/dsl/index.js';
import { getTestDevice } from '../support/gpu.js';
import { formatDiagnostics as formatTsDiagnostics, scratchDir, typeCheck } from '../support/typescript.js';
import { f32StorageWgsl, kernelSetOf } from '../support/kernel-sets.js';

const SEED = 20261204;
/** Seconds one input may take from source to outputs or diagnostics (generous: CI machines are shared). */
const PER_INPUT_SECONDS = 5;
/** Accepted specs whose TypeScript and WGSL are checked by the real compilers. */
const SAMPLE = 12;

const examplesDir = new URL('../../examples/', import.meta.url);
/** The examples with every integer of 256 or more divided by 16 (1024 -> 64): same structure, small kernels. */
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.mon'))
  .map((f) => readFileSync(new URL(f, examplesDir), 'utf8').replace(/\b\d+\b/g, (n) => (Number(n) >= 256 ? String(Number(n) / 16) : n)));

const words = ['map', 'const', 'module', 'dtype', 'f32', 'f16', 'f', 'g', 'h', 'n', 'toString', '__proto__', 'constructor', 'then', 'hasOwnProperty'];
const callees = ['dense', 'ks', 'blockdiag', 'transpose', 'monarch', 'butterfly', 'lowrank', 'sparse', 'bias', 'band', 'random', 'flat_butterfly'];
const argNames = ['in', 'out', 'nblocks', 'order', 'radix', 'radices', 'rank', 'block', 'pattern', 'width', 'density', 'seed', 'factors', 'stride', 'a', 'b', 'c', 'd', 'r'];
const punctuation = ['=', ':', '->', '@', '+', '-', '*', '/', '^', '(', ')', '[', ']', ',', '\n', '"m.npy"', '0.5', '1.0', '#c\n', '$', '"'];
const numbers = ['0', '1', '2', '3', '4', '6', '8', '12', '16', '64', '1024', '65536', '2147483647', '2147483648', '99999999999'];
const vocabulary = [...words, ...callees, ...argNames, ...punctuation, ...numbers];

const tokenSoup = fc.array(fc.constantFrom(...vocabulary), { maxLength: 40 }).map((ts) => ts.join(' '));

/** An example cut into tokens (names, numbers, single characters) with a few edits applied. */
const hostileNames = ['toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf', 'then', 'prototype'];
const edit = fc.record({
  kind: fc.constantFrom('delete', 'insert', 'replace', 'duplicate', 'rename'),
  at: fc.nat(),
  token: fc.constantFrom(...vocabulary),
  name: fc.constantFrom(...hostileNames),
});
const mutation = fc.record({ example: fc.constantFrom(...examples), edits: fc.array(edit, { minLength: 1, maxLength: 3 }) }).map(({ example, edits }) => {
  const tokens = example.match(/[A-Za-z_][A-Za-z0-9_]*|\d+|\s+|#[^\n]*|./g) ?? [];
  for (const e of edits) {
    const i = e.at % (tokens.length + 1);
    if (e.kind === 'delete') tokens.splice(i, 1);
    else if (e.kind === 'insert') tokens.splice(i, 0, ` ${e.token} `);
    else if (e.kind === 'replace') tokens.splice(i, 1, e.token);
    else if (e.kind === 'duplicate') tokens.splice(i, 0, tokens[i] ?? '');
    else {
      // The next name from `i` on (a map, constant, constructor, argument or pattern name) becomes one every object has.
      const j = tokens.findIndex((t, k) => k >= i && /^[A-Za-z_]/.test(t));
      if (j >= 0) tokens[j] = e.name;
    }
  }
  return tokens.join('');
});

/** Well-formed specs of small sizes (most are accepted, so the emitters see them): factors chosen to fit n -> m. */
const size = fc.constantFrom(1, 2, 3, 4, 6, 8, 9, 12, 16, 32);
const divisorsOf = (n: number) => Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
const isPowerOf = (n: number, r: number): boolean => n === 1 || (n % r === 0 && isPowerOf(n / r, r));
const factorFor = (n: number, m: number): fc.Arbitrary<string> => {
  const common = divisorsOf(n).filter((d) => m % d === 0);
  const options: fc.Arbitrary<string>[] = [
    fc.constant('dense()'),
    fc.constantFrom(...common).map((k) => `blockdiag(nblocks: ${k})`),
    fc.constantFrom(...common).map((k) => `monarch(nblocks: ${k})`),
    fc.integer({ min: 1, max: 3 }).map((r) => `lowrank(rank: ${r})`),
    fc.tuple(fc.constantFrom(...divisorsOf(m)), fc.constantFrom(...divisorsOf(n)), fc.integer({ min: 1, max: 3 })).map(([bh, bw, w]) => `sparse(block: [${bh}, ${bw}], pattern: band(width: ${w}))`),
    // A chain through an inner size k: the right factor's output is fixed by `out:`.
    fc.tuple(size, fc.integer({ min: 1, max: 2 })).map(([k, r]) => `dense() @ lowrank(rank: ${r}, out: ${k})`),
  ];
  if (n === m) {
    for (const r of [2, 4]) if (n > 1 && isPowerOf(n, r)) options.push(fc.constantFrom('increasing', 'decreasing').map((st) => `butterfly(radix: ${r}, stride: ${st})`));
    const splits = divisorsOf(n).filter((r) => r > 1 && r < n);
    if (splits.length > 0) options.push(fc.constantFrom(...splits).map((r) => `dense() @ transpose(${r}, ${n / r})`));
    if (splits.length > 0) options.push(fc.constantFrom(...splits).map((r) => `monarch(radices: [${r}, ${n / r}])`));
  }
  return fc.oneof(...options);
};
const wellFormed = fc
  .record({ n: size, m: size, count: fc.integer({ min: 1, max: 3 }), bias: fc.boolean(), ref: fc.boolean(), dtype: fc.constantFrom('f32', 'f16') })
  .chain(({ n, m, count, bias, ref, dtype }) =>
    fc.array(factorFor(n, m), { minLength: count, maxLength: count }).map((terms) => {
      const body = [...terms, ...(bias ? ['bias()'] : [])].join(' + ');
      return `dtype ${dtype}\nmap f : ${n} -> ${m} = ${body}\n${ref ? `map g : ${n} -> ${m} = f + dense()\n` : ''}`;
    }),
  );

interface Outcome {
  readonly accepted: boolean;
}

/** Source to outputs or diagnostics; fails the test on an exception, a slow input or an empty verdict. */
function compileOne(source: string): Outcome {
  const start = performance.now();
  const r = compileKernels(source, 'fuzz.mon');
  const seconds = (performance.now() - start) / 1000;
  expect(seconds, `took ${seconds.toFixed(1)} s:\n${source.slice(0, 500)}`).toBeLessThan(PER_INPUT_SECONDS);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(r.outputs === undefined, `outputs and errors disagree for:\n${source.slice(0, 500)}`).toBe(errors.length > 0);
  expect(() => formatDiagnostics(r.diagnostics, source)).not.toThrow();
  return { accepted: r.outputs !== undefined };
}

describe('fuzzing the front end with a fixed seed', () => {
  const accepted: string[] = [];
  const run = (name: string, arbitrary: fc.Arbitrary<string>, numRuns: number) =>
    it(`${name}: ${numRuns} inputs end in outputs or diagnostics`, () => {
      let count = 0;
      fc.assert(
        fc.property(arbitrary, (source) => {
          if (compileOne(source).accepted) {
            count++;
            if (!accepted.includes(source)) accepted.push(source);
          }
        }),
        { seed: SEED, numRuns },
      );
      return count;
    });

  run('token soup', tokenSoup, 1500);
  run('mutated examples', mutation, 600);
  run('well-formed random specs', wellFormed, 600);

  it('accepts a fair share of inputs, so that the emitters are exercised', () => {
    expect(accepted.length).toBeGreaterThan(100);
  });

  const dir = scratchDir('fuzz');
  const sample = () => accepted.filter((_, i) => i % Math.max(1, Math.floor(accepted.length / SAMPLE)) === 0).slice(0, SAMPLE);

  it(`the TypeScript of ${SAMPLE} accepted specs type-checks, as one program`, () => {
    const files = sample().map((source, i) => {
      const r = compileModule(source, `fuzz${i}.mon`);
      const file = `${dir}/fuzz${i}.ts`;
      writeFileSync(file, r.outputs!.ts);
      return file;
    });
    expect(files).toHaveLength(SAMPLE);
    expect(formatTsDiagnostics(typeCheck(files))).toBe('');
  });

  it(`the WGSL of ${SAMPLE} accepted specs compiles in Dawn`, async () => {
    const device = await getTestDevice();
    for (const source of sample()) {
      const { outputs } = compileKernels(source, 'fuzz.mon');
      // What this device runs: an f16 module without shader-f16 runs each map's f32-storage kernel set.
      const f16Only = outputs!.manifest.enables.includes('f16') && !device.features.has('shader-f16');
      for (const code of f16Only ? outputs!.manifest.maps.map(f32StorageWgsl) : [outputs!.wgsl]) {
        device.pushErrorScope('validation');
        const module = device.createShaderModule({ code });
        const info = await module.getCompilationInfo();
        const error = await device.popErrorScope();
        const problems = info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
        expect(problems, source).toEqual([]);
        expect(error?.message, source).toBeUndefined();
      }
    }
  });

  it('the first kernels of the sample also make compute pipelines (SPIR-V generation, where size limits bite)', async () => {
    const device = await getTestDevice();
    let pipelines = 0;
    for (const source of sample()) {
      const { outputs } = compileKernels(source, 'fuzz.mon');
      // What this device runs: the first map's f32-storage kernel set for an f16 module without shader-f16.
      const first = outputs!.manifest.maps[0];
      const f16Only = outputs!.manifest.enables.includes('f16') && !device.features.has('shader-f16');
      const module = device.createShaderModule({ code: f16Only ? f32StorageWgsl(first) : outputs!.wgsl });
      for (const entryPoint of (f16Only ? kernelSetOf(first, 'f32-storage').kernels! : outputs!.manifest.maps.flatMap((m) => m.kernels)).map((k) => k.entryPoint).slice(0, 2)) {
        await expect(device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint } }), `${entryPoint} of\n${source}`).resolves.toBeDefined();
        pipelines++;
      }
      if (pipelines >= 8) break;
    }
    expect(pipelines).toBeGreaterThanOrEqual(8);
  });
});
