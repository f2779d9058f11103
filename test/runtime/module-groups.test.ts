/**
 * Slicing a module's WGSL for one map's runner (runtime/module-groups.ts): the slice keeps every
 * entry point the map's kernels name (forward, backward, optimizer updates, training step, and
 * those of the kernel sets that extend the module: tensor-core `_tc`, tuned builds' `_portable`),
 * and nothing of the other maps; a text without the group markers (an older monc) stays whole.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { compileKernels, type TuningLookup } from '../../src/compile-kernels.js';
import { DEFAULT_LIMITS } from '../../src/codegen/wgsl/index.js';
import { groupMarker } from '../../src/manifest/wgsl-groups.js';
import type { ManifestMap } from '../../src/manifest/types.js';
import { kernelSetsOf, kernelSetWgsl } from '../../src/runtime/kernel-sets.js';
import { mapModuleWgsl } from '../../src/runtime/module-groups.js';
import { schedulesBeyond } from '../support/kernel-sets.js';

/** Map bodies over `n -> n` (n a multiple of 6, so every block count divides it), some using the map before them (tied parameters). */
const BODIES: readonly ((n: number, before: string | undefined) => string)[] = [
  (n) => `${n} -> ${n} = monarch(nblocks: 2) + bias()`,
  (n) => `${n} -> ${n} = lowrank(rank: 2) + bias()`,
  (n) => `${n} -> ${n} = blockdiag(nblocks: 3) + diag()`,
  (n, before) => (before ? `${n} -> ${n} = ${before} @ transpose(2, ${n / 2}) @ ${before} + bias()` : `${n} -> ${n} = blockdiag(nblocks: 2)`),
  (n, before) => (before ? `${n} -> ${n} = ${before} + dense()` : `${n} -> ${n} = dense()`),
];

/** The entry points a map's kernels name in its module: its own, its optimizer updates and training step. */
function moduleEntryPoints(map: ManifestMap): string[] {
  return [
    ...map.kernels.map((k) => k.entryPoint),
    ...(map.backward?.kernels.map((k) => k.entryPoint) ?? []),
    ...(map.optimizers?.map((k) => k.entryPoint) ?? []),
    ...(map.trainingStep?.kernels.map((k) => k.entryPoint) ?? []),
  ];
}

const declares = (wgsl: string, entryPoint: string) => new RegExp(`\\bfn ${entryPoint}\\s*\\(`).test(wgsl);

/** Checks the slice of every map of a build: what each map's kernel sets name is there, other maps' kernels are not. */
function expectSlicesComplete(wgsl: string, maps: readonly ManifestMap[], dtype: 'f32' | 'f16'): void {
  for (const map of maps) {
    const slice = mapModuleWgsl(wgsl, map.name);
    expect(slice.length, map.name).toBeLessThan(wgsl.length + (maps.length === 1 ? 1 : 0));
    for (const ep of moduleEntryPoints(map)) expect(declares(slice, ep), `${map.name}: ${ep}`).toBe(true);
    for (const set of kernelSetsOf(map, dtype)) {
      const text = kernelSetWgsl(set, slice);
      for (const k of [...(set.kernels ?? map.kernels), ...(set.backwardKernels ?? map.backward?.kernels ?? [])]) {
        expect(declares(text, k.entryPoint), `${map.name} ${set.name}: ${k.entryPoint}`).toBe(true);
      }
    }
    const mine = new Set(moduleEntryPoints(map));
    for (const other of maps.filter((o) => o !== map)) {
      expect(slice, `${map.name} holds ${other.name}'s group`).not.toContain(`${groupMarker(other.name)}\n`);
      for (const ep of moduleEntryPoints(other).filter((e) => !mine.has(e))) expect(declares(slice, ep), `${map.name} holds ${ep}`).toBe(false);
    }
  }
}

describe("a map's slice of its module's WGSL", () => {
  test.prop(
    [fc.array(fc.integer({ min: 0, max: BODIES.length - 1 }), { minLength: 1, maxLength: 5 }), fc.constantFrom(6, 12, 18, 30), fc.constantFrom<'f32' | 'f16'>('f32', 'f16')],
    { numRuns: 8 },
  )('keeps every entry point of the map, and nothing of the others', (bodies, n, dtype) => {
    const lines = bodies.map((b, i) => `map m${i} : ${BODIES[b](n, i > 0 ? `m${i - 1}` : undefined)}`);
    const built = compileKernels(`module many\ndtype ${dtype}\n${lines.join('\n')}\n`, 'many.mon');
    expect(built.diagnostics.filter((d) => d.severity === 'error'), lines.join('\n')).toEqual([]);
    expectSlicesComplete(built.outputs!.wgsl, built.outputs!.manifest.maps, dtype);
  });

  it("an untuned f16 module's tensor-core sets (`_tc`) and a tuned one's portable sets (`_portable`) find their maps' kernels", () => {
    const source = 'module t\ndtype f16\nmap up : 64 -> 128 = monarch(nblocks: 2) + bias()\nmap down : 128 -> 64 = monarch(nblocks: 4)\n';
    const untuned = compileKernels(source, 't.mon').outputs!;
    expect(untuned.manifest.maps.map((m) => m.kernelSets![0].name)).toEqual(['tensor-core', 'tensor-core']);
    expectSlicesComplete(untuned.wgsl, untuned.manifest.maps, 'f16');
    const desktop = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 16384, features: ['shader-f16'] };
    const lookup: TuningLookup = (ops) => {
      const [beyond] = ops.length === 1 ? schedulesBeyond(ops[0], desktop, DEFAULT_LIMITS) : [];
      return beyond && { schedule: beyond, limits: desktop };
    };
    const tuned = compileKernels(source, 't.mon', { tuning: lookup }).outputs!;
    const portable = tuned.manifest.maps.map((m) => m.kernelSets!.find((s) => s.name === 'portable')!);
    expect(portable.every((s) => s.wgsl?.extendsModule && s.kernels!.some((k) => k.entryPoint.endsWith('_portable')))).toBe(true);
    expectSlicesComplete(tuned.wgsl, tuned.manifest.maps, 'f16');
  });

  it('is the whole text where the groups are not marked (a module from an older monc) or the map has none', () => {
    const built = compileKernels('module two\nmap a : 8 -> 8 = dense()\nmap b : 8 -> 8 = diag()\n', 'two.mon').outputs!;
    const unmarked = built.wgsl.replaceAll(groupMarker(''), '// ');
    expect(mapModuleWgsl(unmarked, 'a')).toBe(unmarked);
    expect(mapModuleWgsl(built.wgsl, 'c')).toBe(built.wgsl);
    expect(mapModuleWgsl(built.wgsl, 'a').length).toBeLessThan(built.wgsl.length);
  });
});
