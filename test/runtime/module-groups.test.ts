/**
 * Slicing a module's WGSL for a runner's pipelines (runtime/module-groups.ts): the module of each
 * kernel a map's kernel sets name (forward, backward, optimizer updates, training step, and those
 * of the sets that extend the module: tensor-core `_tc`, tuned builds' `_portable`) is the header,
 * with every `enable` of the set's text, and that kernel alone, in modules of several maps; an
 * entry point the text does not mark (an older monc) gets the whole text.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { compileKernels, type TuningLookup } from '../../src/compile-kernels.js';
import { DEFAULT_LIMITS } from '../../src/codegen/wgsl/index.js';
import { KERNEL_MARKER } from '../../src/manifest/wgsl-groups.js';
import type { ManifestMap } from '../../src/manifest/types.js';
import { kernelSetsOf, kernelSetWgsl } from '../../src/runtime/kernel-sets.js';
import { kernelModuleWgsl } from '../../src/runtime/module-groups.js';
import { schedulesBeyond } from '../support/kernel-sets.js';

/** Map bodies over `n -> n` (n a multiple of 6, so every block count divides it), some using the map before them (tied parameters). */
const BODIES: readonly ((n: number, before: string | undefined) => string)[] = [
  (n) => `${n} -> ${n} = monarch(nblocks: 2) + bias()`,
  (n) => `${n} -> ${n} = lowrank(rank: 2) + bias()`,
  (n) => `${n} -> ${n} = blockdiag(nblocks: 3) + diag()`,
  (n, before) => (before ? `${n} -> ${n} = ${before} @ transpose(2, ${n / 2}) @ ${before} + bias()` : `${n} -> ${n} = blockdiag(nblocks: 2)`),
  (n, before) => (before ? `${n} -> ${n} = ${before} + dense()` : `${n} -> ${n} = dense()`),
];

/** The entry points a WGSL text declares. */
const entryPointsOf = (wgsl: string) => [...wgsl.matchAll(/@compute[^\n]*\nfn (\w+)\(/g)].map((m) => m[1]);

const enablesOf = (wgsl: string) => wgsl.split('\n').filter((l) => l.startsWith('enable '));

/**
 * Checks the module of every kernel every set of every map of a build names: it declares that
 * kernel alone, with the `enable`s of the set's text. Returns how many kernels and how many sets with `enable`s it saw.
 */
function expectOwnModules(wgsl: string, maps: readonly ManifestMap[], dtype: 'f32' | 'f16'): { kernels: number; enabled: number } {
  let kernels = 0;
  let enabled = 0;
  for (const map of maps) {
    for (const set of kernelSetsOf(map, dtype)) {
      const text = kernelSetWgsl(set, wgsl);
      const enables = enablesOf(text);
      if (enables.length > 0) enabled++;
      const own = kernelModuleWgsl(text);
      const entryPoints = [...(set.kernels ?? map.kernels), ...(set.backwardKernels ?? map.backward?.kernels ?? []), ...(map.optimizers ?? []), ...(map.trainingStep?.kernels ?? [])];
      for (const { entryPoint } of entryPoints) {
        const module = own(entryPoint);
        expect(entryPointsOf(module), `${map.name} ${set.name}: ${entryPoint}`).toEqual([entryPoint]);
        expect(enablesOf(module), `${map.name} ${set.name}: ${entryPoint}`).toEqual(enables);
        kernels++;
      }
    }
  }
  return { kernels, enabled };
}

describe("each kernel's own module", () => {
  test.prop(
    [fc.array(fc.integer({ min: 0, max: BODIES.length - 1 }), { minLength: 1, maxLength: 5 }), fc.constantFrom(6, 12, 18, 30), fc.constantFrom<'f32' | 'f16'>('f32', 'f16')],
    { numRuns: 8 },
  )('is the header and that kernel alone, for every kernel of every map', (bodies, n, dtype) => {
    const lines = bodies.map((b, i) => `map m${i} : ${BODIES[b](n, i > 0 ? `m${i - 1}` : undefined)}`);
    const built = compileKernels(`module many\ndtype ${dtype}\n${lines.join('\n')}\n`, 'many.mon');
    expect(built.diagnostics.filter((d) => d.severity === 'error'), lines.join('\n')).toEqual([]);
    expect(expectOwnModules(built.outputs!.wgsl, built.outputs!.manifest.maps, dtype).kernels).toBeGreaterThan(0);
  });

  it("an untuned f16 module's tensor-core sets (`_tc`) and a tuned one's portable sets (`_portable`): every kernel, with the set's enables", () => {
    const source = 'module t\ndtype f16\nmap up : 64 -> 128 = monarch(nblocks: 2) + bias()\nmap down : 128 -> 64 = monarch(nblocks: 4)\n';
    const untuned = compileKernels(source, 't.mon').outputs!;
    expect(untuned.manifest.maps.map((m) => m.kernelSets![0].name)).toEqual(['tensor-core', 'tensor-core']);
    const seen = expectOwnModules(untuned.wgsl, untuned.manifest.maps, 'f16');
    expect(seen.kernels).toBeGreaterThan(20);
    // Each map's module (f16) and tensor-core sets enable something; the f32-storage sets nothing.
    expect(seen.enabled).toBe(4);
    const desktop = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 16384, features: ['shader-f16'] };
    const lookup: TuningLookup = (ops) => {
      const [beyond] = ops.length === 1 ? schedulesBeyond(ops[0], desktop, DEFAULT_LIMITS) : [];
      return beyond && { schedule: beyond, limits: desktop };
    };
    const tuned = compileKernels(source, 't.mon', { tuning: lookup }).outputs!;
    const portable = tuned.manifest.maps.map((m) => m.kernelSets!.find((s) => s.name === 'portable')!);
    expect(portable.every((s) => s.wgsl?.extendsModule && s.kernels!.some((k) => k.entryPoint.endsWith('_portable')))).toBe(true);
    expectOwnModules(tuned.wgsl, tuned.manifest.maps, 'f16');
  });

  it('is the whole text for an entry point the text does not mark (a module from an older monc)', () => {
    const { wgsl } = compileKernels('module two\nmap a : 8 -> 8 = dense(in: 8) @ dense()\nmap b : 8 -> 8 = diag()\n', 'two.mon').outputs!;
    const [first] = entryPointsOf(wgsl);
    expect(entryPointsOf(kernelModuleWgsl(wgsl)(first))).toEqual([first]);
    const unmarked = wgsl.replaceAll(KERNEL_MARKER, '// ');
    expect(kernelModuleWgsl(unmarked)(first)).toBe(unmarked);
    expect(kernelModuleWgsl(wgsl)('no_such_kernel')).toBe(wgsl);
  });
});
