/**
 * The kernel sets a build lists per map (manifest `kernelSets`): an untuned f16 map gets a
 * tensor-core set exactly where some forward kernel's default on the tensor-core target differs
 * from the portable one, and that set writes only those kernels; an untuned f32 map likewise a
 * large set (the H200's workgroup limits); maps without such ops get none. The sets are tried in
 * order: tensor-core or large, the module's own, (a tuned
 * build's portable set: portable-set.test.ts), f32-storage. A tuned f16 map lists its tuned set
 * first, then the same tensor-core set where some adapter runs it but not the tuned one.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { compileKernels, type KernelOutputs, type TuningLookup } from '../../src/compile-kernels.js';
import { LARGE_SUFFIX, LARGE_TARGET, TENSOR_CORE_SUFFIX, TENSOR_CORE_TARGET } from '../../src/codegen/kernel-sets.js';
import { defaultSchedule } from '../../src/codegen/wgsl/families.js';
import { scheduleKey } from '../../src/codegen/wgsl/family.js';
import { candidates, DEFAULT_LIMITS, isValidSchedule, type Schedule } from '../../src/codegen/wgsl/index.js';
import type { Program } from '../../src/ir/ir.js';
import type { ManifestMap } from '../../src/manifest/types.js';
import { kernelSetWgsl } from '../../src/runtime/kernel-sets.js';
import { kernelSetOf, schedulesBeyond } from '../support/kernel-sets.js';

function build(source: string, tuning?: TuningLookup): KernelOutputs & { programs: readonly Program[] } {
  const result = compileKernels(source, 'spec.mon', tuning ? { tuning } : {});
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { ...result.outputs!, programs: result.programs! };
}

const names = (map: ManifestMap) => map.kernelSets!.map((s) => s.name);
const fnOf = (entryPoint: string) => new RegExp(`\\bfn ${entryPoint}\\(`);
/** What a kernel computes and how, without its name. */
const work = (k: { ops: readonly number[]; schedule: unknown; workgroupSize: readonly number[]; dispatch: unknown }) => ({ ops: k.ops, schedule: k.schedule, workgroupSize: k.workgroupSize, dispatch: k.dispatch });

/**
 * The tensor-core (or large) set of `map` against the module: a kernel the same as the module's (same ops,
 * schedule) is the module's own entry point; the others are written in the set's text under
 * entry points with the suffix, and nowhere else. Together they perform every op once, in order.
 */
function expectSharesTheModule(map: ManifestMap, wgsl: string, name: 'tensor-core' | 'large' = 'tensor-core', suffix = TENSOR_CORE_SUFFIX): void {
  const set = kernelSetOf(map, name);
  const own = set.kernels!.filter((k) => k.entryPoint.endsWith(suffix));
  expect(own.length, 'a set exists only for kernels that differ').toBeGreaterThan(0);
  expect(set.kernels!.flatMap((k) => k.ops)).toEqual(map.ops.map((_, i) => i));
  for (const k of set.kernels!) {
    if (own.includes(k)) {
      expect(set.wgsl!.text).toMatch(fnOf(k.entryPoint));
      expect(wgsl).not.toMatch(fnOf(k.entryPoint));
      expect(map.kernels.some((m) => m.ops.join() === k.ops.join() && scheduleKey(m.schedule) === scheduleKey(k.schedule)), `${k.entryPoint} differs`).toBe(false);
    } else {
      const shared = map.kernels.find((m) => m.entryPoint === k.entryPoint);
      expect(shared?.schedule, `${k.entryPoint} is the module's`).toEqual(k.schedule);
      expect(set.wgsl!.text).not.toMatch(fnOf(k.entryPoint));
    }
  }
  expect([...set.wgsl!.text.matchAll(/\bfn (\w+)\(/g)].map((m) => m[1]).filter((f) => own.some((k) => k.entryPoint === f))).toEqual(own.map((k) => k.entryPoint));
}

describe('the tensor-core kernel set', () => {
  it('an untuned f16 Monarch gets one: its first factor on ks-sgmat; a strided factor the target does not change is the module\'s', () => {
    // 3 blocks: the strided factor (δ = 3) has no δ-vector family, so it keeps its portable kernel.
    const built = build('module m\ndtype f16\nmap up : 48 -> 96 = monarch(nblocks: 3)');
    const map = built.manifest.maps[0];
    expect(names(map)).toEqual(['tensor-core', 'portable', 'f32-storage']);
    const set = kernelSetOf(map, 'tensor-core');
    expect(set.kernels!.map((k) => [k.entryPoint, k.schedule.family])).toEqual([
      ['up_op0_tc', 'ks-sgmat'],
      ['up_op1', map.kernels[1].schedule.family],
    ]);
    expect(set.storage).toBe('f16');
    expect(set.backwardKernels, "backward kernels stay the module's").toBeUndefined();
    expect(set.requires).toEqual({
      features: ['chromium-experimental-subgroup-matrix', 'shader-f16'],
      maxComputeInvocationsPerWorkgroup: Math.max(...[...map.kernels, ...map.backward!.kernels, ...map.optimizers!].map((k) => k.workgroupSize[0]), 32),
      maxComputeWorkgroupStorageSize: 16384,
      subgroupSize: 32,
      subgroupMatrixConfigs: ['f16->f32 16x16x16'],
    });
    expect(kernelSetOf(map, 'portable').requires.features).toEqual(['shader-f16']);
    expectSharesTheModule(map, built.wgsl);
    // The set's module: its extension enabled before the module's declarations, then its kernels.
    const composed = kernelSetWgsl(set, built.wgsl);
    expect(composed.startsWith('enable chromium_experimental_subgroup_matrix;\n\n')).toBe(true);
    expect(composed.indexOf('enable f16;')).toBeLessThan(composed.search(/\bfn /));
    expect(composed.endsWith(set.wgsl!.text)).toBe(true);
  });

  it('requires what its own kernels need of the target (the H200\'s limits): their workgroups, the least storage tier their schedules fit', () => {
    const built = build('module m\ndtype f16\nmap up : 256 -> 256 = monarch(nblocks: 16)');
    const map = built.manifest.maps[0];
    const set = kernelSetOf(map, 'tensor-core');
    expect(set.kernels![0]).toMatchObject({ entryPoint: 'up_op0_tc', schedule: { family: 'ks-sgmat' } });
    expectSharesTheModule(map, built.wgsl);
    const own = set.kernels!.filter((k) => k.entryPoint.endsWith(TENSOR_CORE_SUFFIX));
    const valid = (k: (typeof own)[number], bytes: number) => isValidSchedule(built.programs[0].ops[k.ops[0]], k.schedule, { ...TENSOR_CORE_TARGET, maxWorkgroupStorageBytes: bytes });
    const tiers = [16384, 32768, 49152];
    const least = Math.max(...own.map((k) => tiers.find((bytes) => valid(k, bytes))!));
    expect(set.requires.maxComputeWorkgroupStorageSize).toBe(least);
    expect(set.requires.maxComputeInvocationsPerWorkgroup).toBe(Math.max(...[...set.kernels!, ...map.backward!.kernels, ...map.optimizers!].map((k) => k.workgroupSize[0])));
    expect(set.requires.maxComputeInvocationsPerWorkgroup).toBeLessThanOrEqual(TENSOR_CORE_TARGET.maxWorkgroupSize);
  });

  test.prop([fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.constantFrom(2, 4, 8), fc.constantFrom('f16' as const, 'f32' as const)], { numRuns: 16 })(
    'exists exactly where some op of an untuned f16 map has another default on the tensor-core target, of an f32 map on the large target (random rectangular Monarch, low rank)',
    (p, q, k, dtype) => {
      // Blocks of 8·p × 8·q: multiples of 16 (ks-sgmat's tiles) or not.
      const n = 8 * p * k;
      const m = 8 * q * k;
      const built = build(`module r\ndtype ${dtype}\nmap a : ${n} -> ${m} = monarch(nblocks: ${k})\nmap b : ${n} -> ${m} = lowrank(rank: ${8 * p})`);
      built.manifest.maps.forEach((map, i) => {
        const ops = built.programs[i].ops;
        const differsOn = (target: typeof DEFAULT_LIMITS) => ops.some((op) => scheduleKey(defaultSchedule(op, target)) !== scheduleKey(defaultSchedule(op, DEFAULT_LIMITS)));
        // f32 maps: the large set (the H200's workgroup limits, no feature) where some default there needs more than the portable limits.
        const beyondPortable = ops.some((op) => !isValidSchedule(op, defaultSchedule(op, LARGE_TARGET), DEFAULT_LIMITS));
        const expected =
          dtype === 'f32'
            ? beyondPortable ? ['large', 'portable'] : ['portable']
            : differsOn(TENSOR_CORE_TARGET) ? ['tensor-core', 'portable', 'f32-storage'] : ['portable', 'f32-storage'];
        expect(names(map), `${map.name} ${n} -> ${m}, ${k} blocks, ${dtype}`).toEqual(expected);
        if (expected[0] === 'tensor-core') expectSharesTheModule(map, built.wgsl);
        if (expected[0] === 'large') expectSharesTheModule(map, built.wgsl, 'large', LARGE_SUFFIX);
      });
    },
  );

  it("follows a tuned set that needs more than it (a build tuned on a desktop GPU): the untuned tensor-core kernels, forward and backward, the tuning's replaced ones written under _tc", () => {
    const source = 'module t\ndtype f16\nmap up : 64 -> 128 = monarch(nblocks: 2) + bias()';
    const plain = build(source);
    // Tuned on a 1024-invocation adapter with shader-f16 and no tensor cores: every op on a schedule beyond the portable limits where it has one.
    const desktop = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 16384, features: ['shader-f16'] };
    const lookup: TuningLookup = (ops) => {
      const [beyond] = ops.length === 1 ? schedulesBeyond(ops[0], desktop, DEFAULT_LIMITS) : [];
      return beyond && { schedule: beyond, limits: desktop };
    };
    const built = build(source, lookup);
    const [map, untuned] = [built.manifest.maps[0], plain.manifest.maps[0]];
    expect(names(map)).toEqual(['tuned', 'tensor-core', 'portable', 'f32-storage']);
    expect(kernelSetOf(map, 'tuned').requires).toEqual({ features: ['shader-f16'], maxComputeInvocationsPerWorkgroup: 512, maxComputeWorkgroupStorageSize: 16384 });
    const set = kernelSetOf(map, 'tensor-core');
    const want = kernelSetOf(untuned, 'tensor-core');
    // The untuned build's tensor-core set: the same kernels, hence the same requirements; its backward kernels are the portable ones.
    expect(set.requires).toEqual(want.requires);
    expect(set.kernels!.map(work)).toEqual(want.kernels!.map(work));
    expect(set.backwardKernels!.map(work)).toEqual(untuned.backward!.kernels.map(work));
    // The tuning replaced the strided factor and a weight-gradient kernel: those are the set's own beside the sgmat factor.
    const own = [...set.kernels!, ...set.backwardKernels!].filter((k) => k.entryPoint.endsWith(TENSOR_CORE_SUFFIX)).map((k) => k.entryPoint);
    expect(own).toEqual(['up_op0_tc', 'up_op1_tc', 'up_bwd2_tc']);
    const pairs = [...set.kernels!.map((k) => [k, map.kernels] as const), ...set.backwardKernels!.map((k) => [k, map.backward!.kernels] as const)];
    for (const [k, module] of pairs) {
      const same = module.find((m) => JSON.stringify(work(m)) === JSON.stringify(work(k)));
      expect(k.entryPoint, "the module's kernel where it does the same work").toBe(same ? same.entryPoint : k.entryPoint.replace(/_tc$/, '') + TENSOR_CORE_SUFFIX);
      expect(fnOf(k.entryPoint).test(set.wgsl!.text), k.entryPoint).toBe(!same);
      expect(fnOf(k.entryPoint).test(kernelSetWgsl(set, built.wgsl)), k.entryPoint).toBe(true);
    }
    expect([...set.wgsl!.text.matchAll(/\bfn (\w+)\(/g)].map((m) => m[1])).toEqual(own);
    expect(set.wgsl!.enables).toEqual(['chromium_experimental_subgroup_matrix']);
  });

  it('is absent where no default changes (a butterfly; blocks of 12 and δ = 3) and from tuned builds whose tuned set runs wherever it does', () => {
    const small = build('module s\ndtype f16\nmap b : 64 -> 64 = butterfly(radix: 2)\nmap c : 36 -> 36 = monarch(nblocks: 3)');
    for (const map of small.manifest.maps) expect(names(map), map.name).toEqual(['portable', 'f32-storage']);

    // A tuned build keeps its tuned kernels first: the adapter it was tuned on is the one it targets. Here the
    // tensor-core set needs subgroup matrices, 512 invocations and 48 KiB (ks-sgmat-strided's default for the
    // strided factor): every adapter with that runs the tuned set.
    const source = 'module t\ndtype f16\nmap up : 1024 -> 1024 = monarch(nblocks: 16)';
    const untuned = build(source).manifest.maps[0];
    const op = build(source).programs[0].ops[0];
    const tunedOn = { ...TENSOR_CORE_TARGET, maxWorkgroupStorageBytes: 49152, maxWorkgroupSize: 1024 };
    const lookup =
      (schedule: Schedule): TuningLookup =>
      (ops) =>
        ops.length === 1 && JSON.stringify({ ...ops[0], span: undefined }) === JSON.stringify({ ...op, span: undefined }) ? { schedule, limits: tunedOn } : undefined;
    const sgmat = kernelSetOf(untuned, 'tensor-core').kernels![0].schedule;
    // A schedule that needs more than 16 KiB of workgroup storage, and no more than 32.
    const at = (bytes: number) => ({ ...tunedOn, maxWorkgroupStorageBytes: bytes });
    const large = candidates(op, tunedOn).find((c) => isValidSchedule(op, c, at(32768)) && !isValidSchedule(op, c, at(16384)));
    expect(large, 'a schedule for 32 KiB').toBeDefined();
    for (const [schedule, storage, features] of [
      // b = 64's ks-sgmat default since session 16 (8 subgroups, padded rows): 23 KiB, the 32 KiB tier.
      [sgmat, 32768, ['chromium-experimental-subgroup-matrix', 'shader-f16']],
      [large!, 32768, ['shader-f16']],
    ] as const) {
      const tuned = build(source, lookup(schedule)).manifest.maps[0];
      expect(tuned.kernels[0].schedule).toEqual(schedule);
      // No tensor-core set (it would never be chosen); both schedules need more than the portable limits, so the untuned kernels follow (portable-set.test.ts).
      // 512 invocations: the strided factor (b = 64, d = 16) keeps 32 β per workgroup; only ops of 4 or more δ groups (n = 4096's d = 64)
      // take every β with one row tile per subgroup at 1024 (readOnceTwin, review s19 4).
      expect(kernelSetOf(untuned, 'tensor-core').requires).toMatchObject({ maxComputeInvocationsPerWorkgroup: 512, maxComputeWorkgroupStorageSize: 49152, subgroupSize: 32 });
      expect(names(tuned)).toEqual(['tuned', 'portable', 'f32-storage']);
      // What its kernels need, not all the tuned adapter had: the least workgroup storage tier its schedule fits. Beside
      // ks-sgmat the strided factor (no entry) takes the tensor-core set's kernel, 48 KiB (QA2 s18 R74, tuned-stand-in.test.ts).
      expect(kernelSetOf(tuned, 'tuned').requires, schedule.family).toEqual({
        features,
        maxComputeInvocationsPerWorkgroup: Math.max(...[...tuned.kernels, ...tuned.backward!.kernels, ...tuned.optimizers!].map((k) => k.workgroupSize[0])),
        maxComputeWorkgroupStorageSize: schedule === sgmat ? 49152 : storage,
        ...(schedule === sgmat ? { subgroupSize: 32, subgroupMatrixConfigs: ['f16->f32 16x16x16'] } : {}),
      });
    }
  });

  it('follows a tuned set on f16 results (acc16: the f16 -> f16 configuration), which an adapter with only f16 -> f32 tiles cannot run (B7)', () => {
    const source = 'module t\ndtype f16\nmap up : 1024 -> 1024 = monarch(nblocks: 16)';
    const op = build(source).programs[0].ops[0];
    const tunedOn = { ...TENSOR_CORE_TARGET, maxWorkgroupStorageBytes: 49152, maxWorkgroupSize: 1024 };
    const acc16 = candidates(op, tunedOn).find((c) => c.family === 'ks-sgmat' && c.acc16 === true && isValidSchedule(op, c, { ...tunedOn, maxWorkgroupStorageBytes: 16384 }));
    expect(acc16, 'an acc16 schedule within 16 KiB').toBeDefined();
    const tuned = build(source, (ops) => (ops.length === 1 && JSON.stringify({ ...ops[0], span: undefined }) === JSON.stringify({ ...op, span: undefined }) ? { schedule: acc16!, limits: tunedOn } : undefined)).manifest.maps[0];
    expect(tuned.kernels[0].schedule).toEqual(acc16);
    expect(names(tuned)).toEqual(['tuned', 'tensor-core', 'portable', 'f32-storage']);
    // The strided factor (no entry) takes the tensor-core set's kernel (QA2 s18 R74), on f32 sums.
    expect(kernelSetOf(tuned, 'tuned').requires.subgroupMatrixConfigs).toEqual(['f16->f16 16x16x16', 'f16->f32 16x16x16']);
    expect(kernelSetOf(tuned, 'tensor-core').requires.subgroupMatrixConfigs).toEqual(['f16->f32 16x16x16']);
  });

  it('follows a tensor-core set that needs 1024 invocations with one for 512 (REV s19 3): monarch(nblocks: 64) on 4096, not on 1024', () => {
    const map = build('module m\ndtype f16\nmap mo : 4096 -> 4096 = monarch(nblocks: 64)').manifest.maps[0];
    expect(names(map)).toEqual(['tensor-core', 'tensor-core', 'portable', 'f32-storage']);
    const [full, fewer] = map.kernelSets!;
    expect(full.requires.maxComputeInvocationsPerWorkgroup).toBe(1024);
    expect(fewer.requires).toMatchObject({ maxComputeInvocationsPerWorkgroup: 512, maxComputeWorkgroupStorageSize: 49152, subgroupSize: 32 });
    expect(fewer.requires.features).toEqual(full.requires.features);
    // The strided factor: every β of 16 δ in one workgroup at 1024 invocations, 32 β at 512 (the read-once form does not fit).
    expect(full.kernels![1].schedule).toMatchObject({ family: 'ks-sgmat-strided', cols: 64, mr: 1 });
    expect(fewer.kernels![1].schedule).toMatchObject({ family: 'ks-sgmat-strided', cols: 32, mr: 2 });
    expect(fewer.kernels!.map((k) => k.entryPoint)).toEqual(['mo_op0_tc512', 'mo_op1_tc512']);
    for (const k of fewer.kernels!) expect(fewer.wgsl!.text).toMatch(fnOf(k.entryPoint));
    expect(fewer.wgsl!.text).not.toMatch(/_tc\(/);
    // 1024 -> 1024 in 16 blocks: its tensor-core set needs 512 already, so it is the only one.
    expect(names(build('module m\ndtype f16\nmap mo : 1024 -> 1024 = monarch(nblocks: 16)').manifest.maps[0])).toEqual(['tensor-core', 'portable', 'f32-storage']);
  });
});

describe('the large kernel set (f32)', () => {
  it('an untuned f32 Monarch 1024 -> 4096 gets one: both factors on their 1024-invocation defaults, requiring only what they use; a butterfly none', () => {
    const built = build('module m\nmap up : 1024 -> 4096 = monarch(nblocks: 4)\nmap fly : 64 -> 64 = butterfly(radix: 2)');
    const [map, fly] = built.manifest.maps;
    expect(names(map)).toEqual(['large', 'portable']);
    expect(names(fly)).toEqual(['portable']);
    const set = kernelSetOf(map, 'large');
    const ops = built.programs[0].ops;
    // Each op's default for the large target (ks-tiled's long-reduction tile with chunks of 16, ks-dtiled's 512-invocation d = 4 form).
    expect(set.kernels!.map((k) => k.schedule)).toEqual(ops.map((op) => defaultSchedule(op, LARGE_TARGET)));
    expect(set.kernels!.map((k) => k.entryPoint)).toEqual(['up_op0_large', 'up_op1_large']);
    expect(set.storage).toBe('f32');
    expect(set.backwardKernels, "backward kernels stay the module's").toBeUndefined();
    expect(set.requires).toEqual({
      features: [],
      maxComputeInvocationsPerWorkgroup: Math.max(...[...set.kernels!, ...map.backward!.kernels, ...map.optimizers!].map((k) => k.workgroupSize[0])),
      maxComputeWorkgroupStorageSize: 32768,
    });
    expect(set.requires.maxComputeInvocationsPerWorkgroup).toBe(512);
    expectSharesTheModule(map, built.wgsl, 'large', LARGE_SUFFIX);
    expect(set.wgsl!.enables).toEqual([]);
  });
});
