/**
 * Constructor runs: a scheduled program's block matmul ops are found in the model by their weight
 * slices, so "these two ops are a Monarch pair" is read, not guessed from shapes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileModule } from '../../src/compile.js';
import { checkSource } from '../../src/dsl/index.js';
import type { CheckedModule } from '../../src/dsl/structure.js';
import { compileMap } from '../../src/ir/pipeline.js';
import { modelOf } from '../../src/model/build.js';
import { consecutiveStagesOf, constructorRuns } from '../support/constructor-runs.js';

const load = (file: string): CheckedModule => {
  const path = join(import.meta.dirname, '../../examples', file);
  return checkSource(readFileSync(path, 'utf8'), path).module!;
};

/** For each pair of consecutive block matmul ops of the map's program, the constructor they are stages of. */
function pairKinds(module: CheckedModule, name: string): (string | undefined)[] {
  const map = module.maps.find((m) => m.name === name)!;
  const runs = constructorRuns(modelOf(map).body);
  const ops = compileMap(map, module.dtype).ops.flatMap((op) => (op.kind === 'ks' || op.kind === 'bsr' ? [op] : []));
  return ops.slice(1).map((op, i) => consecutiveStagesOf(runs, ops[i].weight, op.weight));
}

describe('constructor runs', () => {
  it('ffn: up and down are each one Monarch pair; ffn = down @ up is two pairs (tied), and up\'s last stage then down\'s first is none', () => {
    const m = load('ffn.mon');
    expect(pairKinds(m, 'up')).toEqual(['monarch']);
    expect(pairKinds(m, 'ffn')).toEqual(['monarch', undefined, 'monarch']);
    expect(constructorRuns(modelOf(m.maps.find((x) => x.name === 'ffn')!).body).map((r) => r.constructorKind)).toEqual(['monarch', 'monarch']);
  });

  it('monarch-explicit: the written-out P L Pᵀ R is not tagged (only the built-in monarch is)', () => {
    const m = load('monarch-explicit.mon');
    expect(pairKinds(m, 'raw')).toEqual([undefined]);
    expect(pairKinds(m, 'builtin')).toEqual(['monarch']);
  });

  it('order3 and the butterfly mixer: every consecutive pair of levels is one constructor\'s; a sum\'s terms are separate runs', () => {
    const order3 = load('monarch-order3.mon');
    for (const map of order3.maps) expect(pairKinds(order3, map.name)).toEqual(['monarch_order', 'monarch_order']);
    const mixer = load('butterfly-mixer.mon');
    expect(pairKinds(mixer, 'mix4')).toEqual(['butterfly', 'butterfly', 'butterfly']);
    const mixLr = pairKinds(mixer, 'mix_lr');
    expect(mixLr.filter((k) => k === 'lowrank')).toHaveLength(1);
    expect(mixLr.filter((k) => k === 'butterfly').length).toBeGreaterThan(0);
  });
});

describe('fused kernels of the default build', () => {
  it('every kernel that performs several ops performs consecutive stages of one constructor (what fusion can read from the model)', () => {
    const dir = join(import.meta.dirname, '../../examples');
    let fused = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.mon'))) {
      const path = join(dir, file);
      const source = readFileSync(path, 'utf8');
      const manifest = compileModule(source, path).outputs!.manifest;
      const checked = checkSource(source, path).module!;
      for (const map of manifest.maps) {
        const runs = constructorRuns(modelOf(checked.maps.find((m) => m.name === map.name)!).body);
        for (const kernel of map.kernels.filter((k) => k.ops.length > 1)) {
          const weights = kernel.ops.map((i) => {
            const op = map.ops[i];
            return op.kind === 'ks' || op.kind === 'bsr' ? op.weight : undefined;
          });
          const kinds = weights.slice(1).map((w, i) => (w && weights[i] ? consecutiveStagesOf(runs, weights[i]!, w) : undefined));
          expect(new Set(kinds).size, `${file} ${map.name} ${kernel.entryPoint}`).toBe(1);
          expect(kinds[0], `${file} ${map.name} ${kernel.entryPoint}`).toBeDefined();
          fused++;
        }
      }
    }
    expect(fused).toBeGreaterThan(0);
  });
});
