/**
 * Projection benchmark (CPU, single thread): `npm run build && node dist/bench/project.js [--quick]`.
 * Prints wall time and this process's CPU time (the fair figure when other jobs share the cores).
 * W is Gaussian: the worst case for the iterative parts (flat spectra, no dominant direction).
 */
import type { Structure } from '../src/dsl/structure.js';
import { modelOfStructure } from '../src/model/build.js';
import { project, type ProjectOptions } from '../src/project/index.js';
import { Rng } from '../src/project/linalg/rng.js';

interface Case {
  readonly name: string;
  readonly structure: Structure;
  readonly options?: ProjectOptions;
}

function monarch(n: number, k: number): Structure {
  const b = n / k;
  return { kind: 'monarch', nblocks: k, p: b, q: b, r: b, s: b, in: n, out: n, path: 'm' };
}

const quick = process.argv.includes('--quick');
const n = quick ? 1024 : 4096;
const cases: Case[] = [
  { name: `monarch(nblocks: ${Math.sqrt(n)}) ${n}x${n}`, structure: monarch(n, Math.sqrt(n)) },
  { name: `lowrank(rank: 64) ${n}x${n}`, structure: { kind: 'lowrank', rank: 64, in: n, out: n, path: 'm' } },
  {
    name: `butterfly(radix: 4) ${n / 4}x${n / 4}, no refinement`,
    structure: { kind: 'butterfly', radix: 4, levels: Math.round(Math.log(n / 4) / Math.log(4)), stride: 'increasing', in: n / 4, out: n / 4, path: 'm' },
    options: { maxRounds: 0 },
  },
];

for (const c of cases) {
  const w = new Rng(1).gaussianArray(c.structure.out * c.structure.in);
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const result = project(modelOfStructure(c.structure), w, c.options);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - wall0;
  console.log(
    `${c.name.padEnd(44)} wall ${(wall / 1000).toFixed(2)} s  cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s  ` +
      `relative error ${result.relativeError.toFixed(6)}  params ${result.paramCount} / ${result.denseParamCount}  [${result.method}]`,
  );
}
