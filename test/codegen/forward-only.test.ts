/**
 * Forward-only builds (compileKernels' `forwardOnly`, `monc build --forward-only`): the module
 * holds exactly the forward part of the full build. Over random modules (rectangular maps with
 * non-power-of-two sizes, tied parameters, f32 and f16, untuned and tuned beyond the portable
 * limits): the WGSL is the full build's without its backward and optimizer groups, each map's
 * forward kernels and each kernel set's forward plan are the full build's, no entry point of a
 * backward, optimizer or training-step kernel is left anywhere, every entry point a set names is
 * declared in that set's WGSL, and the manifest and each map say `forwardOnly: true`.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { compileKernels, type KernelOutputs, type TuningLookup } from '../../src/compile-kernels.js';
import { DEFAULT_LIMITS } from '../../src/codegen/wgsl/index.js';
import { backwardGroup, GROUP_MARKER, OPTIMIZER_GROUP } from '../../src/manifest/wgsl-groups.js';
import type { ManifestMap } from '../../src/manifest/types.js';
import { kernelSetsOf, kernelSetWgsl } from '../../src/runtime/kernel-sets.js';
import { kernelModuleWgsl } from '../../src/runtime/module-groups.js';
import { schedulesBeyond } from '../support/kernel-sets.js';

/** A map's name and sizes, for a later map that uses it again. */
interface Earlier {
  readonly name: string;
  readonly n: number;
  readonly m: number;
}

/** A map body over `n -> m` (multiples of k, its block count), some tied to the map before it. */
const BODIES: readonly ((k: number, n: number, m: number, before: Earlier | undefined) => { readonly text: string; readonly m: number })[] = [
  (k, n, m) => ({ text: `${n} -> ${m} = monarch(nblocks: ${k}) + bias()`, m }),
  (k, n, m) => ({ text: `${n} -> ${m} = lowrank(rank: ${k + 1})`, m }),
  (k, n, m) => ({ text: `${n} -> ${m} = blockdiag(nblocks: ${k}) + lowrank(rank: 1)`, m }),
  (k, n, m) => ({ text: `${n} -> ${m} = sparse(block: ${k}, pattern: band(width: 2)) + bias()`, m }),
  // The map before, used again (its parameters tied) between two dense changes of size.
  (_k, n, m, before) => ({ text: before ? `${n} -> ${m} = dense() @ ${before.name} @ dense(out: ${before.n})` : `${n} -> ${m} = dense() + bias()`, m }),
];

/** The WGSL groups of a module text by name (the header under ''), in order. */
function groupsOf(wgsl: string): Map<string, string> {
  const [header, ...rest] = wgsl.split(`\n\n${GROUP_MARKER}`);
  return new Map([['', header], ...rest.map((g): [string, string] => [g.slice(0, g.indexOf('\n') < 0 ? g.length : g.indexOf('\n')), g])]);
}

/** The entry points of a map's training kernels in a full build: backward (every set's), optimizer updates, training step. */
function trainingEntryPoints(map: ManifestMap): string[] {
  return [
    ...(map.backward?.kernels.map((k) => k.entryPoint) ?? []),
    ...(map.kernelSets ?? []).flatMap((s) => s.backwardKernels?.map((k) => k.entryPoint) ?? []),
    ...(map.optimizers?.map((k) => k.entryPoint) ?? []),
    ...(map.trainingStep?.kernels.map((k) => k.entryPoint) ?? []),
  ];
}

const declares = (wgsl: string, entryPoint: string) => new RegExp(`\\bfn ${entryPoint}\\s*\\(`).test(wgsl);

function expectForwardPartOf(forward: KernelOutputs, full: KernelOutputs): void {
  const { manifest } = forward;
  expect(manifest.forwardOnly).toBe(true);
  expect(full.manifest.forwardOnly).toBeUndefined();

  // The module's groups: the full build's forward groups, the same text.
  const groups = groupsOf(forward.wgsl);
  const fullGroups = groupsOf(full.wgsl);
  expect([...groups.keys()]).toEqual([...fullGroups.keys()].filter((g) => g !== OPTIMIZER_GROUP && !g.endsWith(' (backward)')));
  for (const [name, text] of groups) if (name !== '') expect(text, name).toBe(fullGroups.get(name));
  expect(groups.has(OPTIMIZER_GROUP)).toBe(false);

  const training = full.manifest.maps.flatMap(trainingEntryPoints);
  expect(training.length).toBeGreaterThan(0);
  const everyText = [forward.wgsl, ...manifest.maps.flatMap((m) => m.kernelSets!.map((s) => s.wgsl?.text ?? ''))].join('\n');
  for (const ep of training) expect(declares(everyText, ep), ep).toBe(false);

  manifest.maps.forEach((map, i) => {
    const fullMap = full.manifest.maps[i];
    expect(map.forwardOnly).toBe(true);
    expect(map.backward).toBeUndefined();
    expect(map.optimizers).toBeUndefined();
    expect(map.trainingStep).toBeUndefined();
    // Everything else about the map is the full build's: layout, ops, forward kernels, costs, model.
    const { backward: _b, optimizers: _o, trainingStep: _t, kernelSets: fullSets, ...fullRest } = fullMap;
    const { forwardOnly: _f, kernelSets: sets, ...rest } = map;
    expect(rest).toEqual(fullRest);
    expect(sets!.map((s) => s.name)).toEqual(fullSets!.map((s) => s.name));
    sets!.forEach((set, j) => {
      expect(set.backwardKernels, set.name).toBeUndefined();
      expect(set.kernels ?? map.kernels, set.name).toEqual(fullSets![j].kernels ?? fullMap.kernels);
      expect(set.storage).toBe(fullSets![j].storage);
    });
    // What each set names is declared in the WGSL a runner of that set compiles for it.
    expect(forward.wgsl).not.toContain(backwardGroup(map.name));
    for (const set of kernelSetsOf(map, manifest.dtype)) {
      const kernelWgsl = kernelModuleWgsl(kernelSetWgsl(set, forward.wgsl));
      for (const k of set.kernels ?? map.kernels) expect(declares(kernelWgsl(k.entryPoint), k.entryPoint), `${map.name} ${set.name}: ${k.entryPoint}`).toBe(true);
    }
  });
  expect(forward.manifestJson.length).toBeLessThan(full.manifestJson.length);
  expect(forward.wgsl.length).toBeLessThan(full.wgsl.length);
}

/** A lookup giving every single-op kernel a schedule beyond the portable limits (a build tuned on a desktop GPU). */
const DESKTOP = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 16384, features: ['shader-f16'] };
const desktopTuning: TuningLookup = (ops) => {
  const [beyond] = ops.length === 1 ? schedulesBeyond(ops[0], DESKTOP, DEFAULT_LIMITS) : [];
  return beyond && { schedule: beyond, limits: DESKTOP };
};

describe('a forward-only build', () => {
  test.prop(
    [
      fc.array(fc.record({ body: fc.integer({ min: 0, max: BODIES.length - 1 }), inner: fc.integer({ min: 1, max: 7 }), outer: fc.integer({ min: 1, max: 7 }) }), { minLength: 1, maxLength: 4 }),
      fc.constantFrom(2, 3, 5),
      fc.constantFrom<'f32' | 'f16'>('f32', 'f16'),
      fc.boolean(),
    ],
    { numRuns: 12 },
  )('is the forward part of the full build', (maps, k, dtype, tuned) => {
    const lines: string[] = [];
    let before: Earlier | undefined;
    maps.forEach(({ body, inner, outer }, i) => {
      const n = k * inner;
      const { text, m } = BODIES[body](k, n, k * outer, before);
      lines.push(`map m${i} : ${text}`);
      before = { name: `m${i}`, n, m };
    });
    const source = `module fwd\ndtype ${dtype}\n${lines.join('\n')}\n`;
    const options = tuned ? { tuning: desktopTuning } : {};
    const full = compileKernels(source, 'fwd.mon', options);
    expect(full.diagnostics.filter((d) => d.severity === 'error'), source).toEqual([]);
    const forward = compileKernels(source, 'fwd.mon', { ...options, forwardOnly: true });
    expectForwardPartOf(forward.outputs!, full.outputs!);
  });

  it('of the f16 example keeps its tensor-core and f32-storage sets, forward kernels only', () => {
    const source = 'module up\ndtype f16\nmap up : 64 -> 256 = monarch(nblocks: 4)\n';
    const full = compileKernels(source, 'up.mon').outputs!;
    const forward = compileKernels(source, 'up.mon', { forwardOnly: true }).outputs!;
    expect(forward.manifest.maps[0].kernelSets!.map((s) => s.name)).toEqual(['tensor-core', 'portable', 'f32-storage']);
    expectForwardPartOf(forward, full);
  });

  it('tuned beyond the portable limits keeps its tuned and portable sets, forward kernels only', () => {
    const source = 'module t\ndtype f16\nmap up : 48 -> 80 = monarch(nblocks: 4) + bias()\n';
    const full = compileKernels(source, 't.mon', { tuning: desktopTuning }).outputs!;
    const forward = compileKernels(source, 't.mon', { tuning: desktopTuning, forwardOnly: true }).outputs!;
    const names = forward.manifest.maps[0].kernelSets!.map((s) => s.name);
    expect(names.slice(0, 1)).toEqual(['tuned']);
    expect(names).toContain('portable');
    expectForwardPartOf(forward, full);
  });
});
