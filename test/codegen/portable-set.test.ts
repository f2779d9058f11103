/**
 * The portable set of a tuned build (manifest `kernelSets`): where a map's tuned kernels need more
 * than every adapter has (invocations, workgroup storage, a feature), the build also ships the
 * kernels an untuned build emits, after the tuned set (before f32-storage): the ones that differ
 * written under `_portable` entry points after the module's WGSL, the rest the module's; a module
 * of its own where the module's WGSL enables an extension the portable kernels lack. Where the
 * tuned kernels fit the portable limits there is no such set. A tuned f16 map's tensor-core set,
 * where it has one, comes between the tuned and the portable set (kernel-sets.test.ts).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { compileKernels, type KernelOutputs, type TuningLookup } from '../../src/compile-kernels.js';
import { featuresOfEnables, PORTABLE_SUFFIX, TENSOR_CORE_TARGET } from '../../src/codegen/kernel-sets.js';
import { backwardCandidates } from '../../src/codegen/wgsl/backward-program.js';
import { DEFAULT_LIMITS, isValidSchedule, type TargetLimits } from '../../src/codegen/wgsl/index.js';
import type { Program } from '../../src/ir/ir.js';
import type { ManifestKernelSet, ManifestMap, ManifestRequirements } from '../../src/manifest/types.js';
import { encodeManifest } from '../../src/manifest/manifest-encode.js';
import { decodeManifest } from '../../src/runtime/index.js';
import { kernelSetWgsl } from '../../src/runtime/kernel-sets.js';
import { kernelSetOf, scheduleBeyond, schedulesBeyond, tuneOp } from '../support/kernel-sets.js';

/** A desktop GPU without tensor cores: 1024 invocations, 48 KiB of workgroup storage. */
const DESKTOP: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };

function build(source: string, tuning?: TuningLookup): KernelOutputs & { programs: readonly Program[] } {
  const result = compileKernels(source, 'spec.mon', tuning ? { tuning } : {});
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  // Its manifest file decodes: the check of each set's kernels against the WGSL the set carries (check-manifest.ts) takes tuned builds.
  expect(decodeManifest(encodeManifest(result.outputs!.manifest)).maps).toHaveLength(result.outputs!.manifest.maps.length);
  return { ...result.outputs!, programs: result.programs! };
}

const names = (map: ManifestMap) => map.kernelSets!.map((s) => s.name);
const definesFn = (wgsl: string, entryPoint: string) => new RegExp(`\\bfn ${entryPoint}\\(`).test(wgsl);
/** What a kernel computes and how, without its name. */
const work = (k: { ops: readonly number[]; schedule: unknown; workgroupSize: readonly number[]; dispatch: unknown }) => ({ ops: k.ops, schedule: k.schedule, workgroupSize: k.workgroupSize, dispatch: k.dispatch });

/** Within the limits every adapter has: 256 invocations, 16 KiB, no feature but f16 storage's. */
function portableLimits(requires: ManifestRequirements, dtype: 'f32' | 'f16'): boolean {
  return (
    requires.features.every((f) => dtype === 'f16' && f === 'shader-f16') &&
    requires.maxComputeInvocationsPerWorkgroup <= 256 &&
    requires.maxComputeWorkgroupStorageSize <= 16384 &&
    requires.subgroupSize === undefined
  );
}

/**
 * The tuned map's portable set against the untuned build's map: the same kernels (ops,
 * schedules, workgroups, dispatch), forward and backward, and the same requirements; each the
 * tuned module's own entry point where that performs the same ops on the same schedule, else
 * written in the set's text under its untuned name with PORTABLE_SUFFIX. Returns the set.
 */
function expectUntunedKernels(tuned: ManifestMap, untuned: ManifestMap, moduleWgsl: string): ManifestKernelSet {
  const set = kernelSetOf(tuned, 'portable');
  expect(set.requires).toEqual(kernelSetOf(untuned, 'portable').requires);
  expect(set.kernels!.map(work)).toEqual(untuned.kernels.map(work));
  expect(set.backwardKernels!.map(work)).toEqual(untuned.backward!.kernels.map(work));
  const pairs = [
    ...set.kernels!.map((k, i) => [k, untuned.kernels[i], tuned.kernels] as const),
    ...set.backwardKernels!.map((k, i) => [k, untuned.backward!.kernels[i], tuned.backward!.kernels] as const),
  ];
  const own: string[] = [];
  for (const [k, u, module] of pairs) {
    const same = module.find((m) => JSON.stringify(work(m)) === JSON.stringify(work(k)));
    if (set.wgsl!.extendsModule && same) {
      expect(k.entryPoint, "the module's kernel").toBe(same.entryPoint);
      expect(definesFn(set.wgsl!.text, k.entryPoint)).toBe(false);
    } else if (set.wgsl!.extendsModule) {
      expect(k.entryPoint).toBe(`${u.entryPoint}${PORTABLE_SUFFIX}`);
      expect(definesFn(moduleWgsl, k.entryPoint)).toBe(false);
      own.push(k.entryPoint);
    } else {
      expect(k.entryPoint, 'a module of its own: the untuned names').toBe(u.entryPoint);
    }
    expect(definesFn(kernelSetWgsl(set, moduleWgsl), k.entryPoint), k.entryPoint).toBe(true);
  }
  if (set.wgsl!.extendsModule) expect([...set.wgsl!.text.matchAll(/\bfn (\w+)\(/g)].map((m) => m[1]).filter((f) => f.endsWith(PORTABLE_SUFFIX))).toEqual(own);
  return set;
}

describe('the portable set of a tuned build', () => {
  const f32 = 'module t\ndtype f32\nmap up : 48 -> 80 = monarch(nblocks: 4)';

  it('a 512-invocation tuned schedule: tuned (512 invocations), then portable (the untuned kernels; only the differing one written)', () => {
    const op = build(f32).programs[0].ops[1];
    const schedule = scheduleBeyond(op, { ...DEFAULT_LIMITS, maxWorkgroupSize: 512 }, DEFAULT_LIMITS);
    const built = build(f32, tuneOp(op, schedule, DESKTOP));
    const map = built.manifest.maps[0];
    const untuned = build(f32).manifest.maps[0];
    expect(map.kernels[1].schedule).toEqual(schedule);
    expect(names(map)).toEqual(['tuned', 'portable']);
    expect(kernelSetOf(map, 'tuned').requires).toEqual({ features: [], maxComputeInvocationsPerWorkgroup: 512, maxComputeWorkgroupStorageSize: 16384 });
    const set = expectUntunedKernels(map, untuned, built.wgsl);
    expect(set.wgsl!.extendsModule).toBe(true);
    expect(set.kernels!.map((k) => k.entryPoint)).toEqual(['up_op0', 'up_op1_portable']);
    expect(portableLimits(set.requires, 'f32')).toBe(true);
    // The module's WGSL is the tuned build's, unchanged: the set's kernels come after it.
    expect(kernelSetWgsl(set, built.wgsl).startsWith(built.wgsl)).toBe(true);
  });

  it('none where the tuned kernels fit the portable limits', () => {
    const op = build(f32).programs[0].ops[1];
    const untuned = build(f32).manifest.maps[0];
    const other = backwardCandidates(op, DESKTOP).find((s) => isValidSchedule(op, s, DEFAULT_LIMITS) && JSON.stringify(s) !== JSON.stringify(untuned.kernels[1].schedule));
    expect(other, 'another schedule within the portable limits').toBeDefined();
    const map = build(f32, tuneOp(op, other!, DESKTOP)).manifest.maps[0];
    expect(map.kernels[1].schedule).toEqual(other);
    expect(names(map)).toEqual(['tuned']);
    expect(portableLimits(kernelSetOf(map, 'tuned').requires, 'f32')).toBe(true);
  });

  it('an f16 module: tuned, tensor-core (it needs less workgroup storage than the tuned set), portable, f32-storage', () => {
    const source = 'module h\ndtype f16\nmap up : 64 -> 64 = monarch(nblocks: 4) + bias()';
    const op = build(source).programs[0].ops[1];
    const tunedOn = { ...DESKTOP, features: ['shader-f16'] };
    const built = build(source, tuneOp(op, scheduleBeyond(op, tunedOn, DEFAULT_LIMITS), tunedOn));
    const map = built.manifest.maps[0];
    expect(kernelSetOf(map, 'tuned').requires).toEqual({ features: ['shader-f16'], maxComputeInvocationsPerWorkgroup: 128, maxComputeWorkgroupStorageSize: 32768 });
    expect(kernelSetOf(build(source).manifest.maps[0], 'tensor-core').requires).toMatchObject({ maxComputeInvocationsPerWorkgroup: 128, maxComputeWorkgroupStorageSize: 16384 });
    expect(names(map)).toEqual(['tuned', 'tensor-core', 'portable', 'f32-storage']);
    const set = expectUntunedKernels(map, build(source).manifest.maps[0], built.wgsl);
    expect(set.requires.features).toEqual(['shader-f16']);
    expect(set.storage).toBe('f16');
  });

  it("tuned kernels on subgroup matrices: the portable set is a module of its own without their extension, and so is an untuned map's beside them", () => {
    const source = 'module s\ndtype f16\nmap up : 256 -> 256 = monarch(nblocks: 16)\nmap low : 24 -> 36 = lowrank(rank: 3)';
    const plain = build(source);
    const sgmat = kernelSetOf(plain.manifest.maps[0], 'tensor-core').kernels![0].schedule;
    const built = build(source, tuneOp(plain.programs[0].ops[0], sgmat, TENSOR_CORE_TARGET));
    expect(built.wgsl).toMatch(/^enable chromium_experimental_subgroup_matrix;$/m);
    const [up, low] = built.manifest.maps;
    expect(names(up)).toEqual(['tuned', 'portable', 'f32-storage']);
    expect(kernelSetOf(up, 'tuned').requires).toMatchObject({ features: ['chromium-experimental-subgroup-matrix', 'shader-f16'], subgroupSize: 32 });
    // `low` has no tuned kernel, yet the module's WGSL needs subgroup matrices: its kernels go to a module of their own.
    expect(names(low)).toEqual(['portable', 'f32-storage']);
    for (const [tuned, untuned] of [
      [up, plain.manifest.maps[0]],
      [low, plain.manifest.maps[1]],
    ]) {
      const set = expectUntunedKernels(tuned, untuned, built.wgsl);
      expect(set.wgsl!.extendsModule).toBe(false);
      expect(set.wgsl!.text).not.toMatch(/subgroup_matrix/);
      expect(set.requires).toEqual({ features: ['shader-f16'], maxComputeInvocationsPerWorkgroup: set.requires.maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupStorageSize: 16384 });
    }
  });

  test.prop([fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.constantFrom(2, 4), fc.constantFrom('f16' as const, 'f32' as const), fc.nat()], { numRuns: 12 })(
    'random tunings of random rectangular maps: every map runs within the portable limits, every set compiles with what it requires, untuned kernels as an untuned build',
    (p, q, k, dtype, seed) => {
      const source = `module r\ndtype ${dtype}\nmap a : ${8 * p * k} -> ${8 * q * k} = monarch(nblocks: ${k}) + bias()\nmap b : ${8 * p} -> ${8 * q + 3} = lowrank(rank: ${p + 1})`;
      const tunedOn = dtype === 'f16' ? TENSOR_CORE_TARGET : DESKTOP;
      const plain = build(source);
      const untuned = plain.manifest.maps;
      // The Monarch's second factor needs more than the portable limits where it can; every other op, by a
      // hash of the op and the seed: its default, any candidate of the larger adapter, or one beyond the portable limits.
      const key = (op: object) => JSON.stringify({ ...op, span: undefined });
      const factor = key(plain.programs[0].ops[1]);
      const forced = schedulesBeyond(plain.programs[0].ops[1], tunedOn, DEFAULT_LIMITS);
      const lookup: TuningLookup = (ops) => {
        if (ops.length !== 1) return undefined;
        const h = [...key(ops[0])].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, seed);
        if (key(ops[0]) === factor && forced.length > 0) return { schedule: forced[h % forced.length], limits: tunedOn };
        const beyond = h % 3 === 1 ? schedulesBeyond(ops[0], tunedOn, DEFAULT_LIMITS) : [];
        const pool = beyond.length > 0 ? beyond : backwardCandidates(ops[0], tunedOn);
        return h % 3 === 0 || pool.length === 0 ? undefined : { schedule: pool[(h >>> 2) % pool.length], limits: tunedOn };
      };
      const built = build(source, lookup);
      // A tensor-core (f16) or large (f32) set, where there is one, comes between the tuned and the portable set (kernel-sets.test.ts).
      if (forced.length > 0)
        expect(names(built.manifest.maps[0]).filter((n) => n !== 'tensor-core' && n !== 'large')).toEqual(dtype === 'f16' ? ['tuned', 'portable', 'f32-storage'] : ['tuned', 'portable']);
      const moduleFeatures = featuresOfEnables([...built.wgsl.matchAll(/^enable (\w+);$/gm)].map((m) => m[1]));
      built.manifest.maps.forEach((map, i) => {
        const sets = map.kernelSets!;
        expect(sets.some((s) => portableLimits(s.requires, s.storage)), `${map.name}: ${names(map)}`).toBe(true);
        if (dtype === 'f16') expect(sets[sets.length - 1].name).toBe('f32-storage');
        expect(names(map).filter((n) => n === 'portable').length).toBeLessThanOrEqual(1);
        // A portable set with WGSL of its own is the one a tuned build adds.
        if (sets.some((s) => s.name === 'portable' && s.wgsl)) expectUntunedKernels(map, untuned[i], built.wgsl);
        // A tensor-core set: the untuned build's tensor-core kernels, its backward kernels the untuned ones; first, or after the tuned set.
        const tensorCore = sets.find((s) => s.name === 'tensor-core');
        if (tensorCore) {
          expect(tensorCore.kernels!.map(work)).toEqual(kernelSetOf(untuned[i], 'tensor-core').kernels!.map(work));
          expect((tensorCore.backwardKernels ?? map.backward!.kernels).map(work)).toEqual(untuned[i].backward!.kernels.map(work));
          expect(sets.indexOf(tensorCore)).toBe(sets[0].name === 'tuned' ? 1 : 0);
        }
        for (const set of sets) {
          const wgsl = kernelSetWgsl(set, built.wgsl);
          if (set.wgsl === undefined || set.wgsl.extendsModule) expect(set.requires.features, `${map.name} ${set.name} compiles the module`).toEqual(expect.arrayContaining(moduleFeatures));
          const kernels = [...(set.kernels ?? map.kernels), ...(set.backwardKernels ?? map.backward!.kernels), ...map.optimizers!];
          for (const kernel of kernels) expect(definesFn(wgsl, kernel.entryPoint), `${map.name} ${set.name} ${kernel.entryPoint}`).toBe(true);
          expect(set.requires.maxComputeInvocationsPerWorkgroup).toBe(Math.max(...kernels.map((kernel) => kernel.workgroupSize[0])));
        }
      });
    },
  );
});
