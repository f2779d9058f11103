/**
 * Which kernel set a runner takes (runtime/kernel-sets.ts), for fake devices: the first set of
 * the build's order whose requirements (features, workgroup invocations and storage, subgroup
 * size) the device meets; none is a one-line error; manifests of older monc versions (no
 * kernelSets) run their kernels, then their `fallback`.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { compileKernels, type TuningLookup } from '../../src/compile-kernels.js';
import { TENSOR_CORE_TARGET } from '../../src/codegen/kernel-sets.js';
import type { ManifestKernelSet, ManifestMap, ManifestRequirements } from '../../src/manifest/types.js';
import { deviceCapabilities, type DeviceCapabilities } from '../../src/runtime/device.js';
import { expectMoncErrorNow } from '../support/user-error.js';
import { chooseKernelSet, kernelSetsOf, moduleDtype, unmetRequirements } from '../../src/runtime/kernel-sets.js';
import { MoncError } from '../../src/util/error.js';
import * as checked from '../../src/runtime/checked-exports.js';
import { DEFAULT_LIMITS } from '../../src/codegen/wgsl/index.js';
import { kernelSetOf, olderManifestMap, scheduleBeyond, schedulesBeyond, tuneOp } from '../support/kernel-sets.js';

const SUBGROUP_MATRIX = 'chromium-experimental-subgroup-matrix';

/** Dawn on an H200 (as recorded in bench/results): tensor cores, subgroups of 32. */
const H200: DeviceCapabilities = {
  features: [SUBGROUP_MATRIX, 'shader-f16', 'subgroups', 'timestamp-query'],
  maxComputeInvocationsPerWorkgroup: 1024,
  maxComputeWorkgroupSizeX: 1024,
  maxComputeWorkgroupStorageSize: 49152,
  subgroupMinSize: 32,
  subgroupMaxSize: 32,
};
/** SwiftShader here: no shader-f16, subgroups of 4. */
const SWIFTSHADER: DeviceCapabilities = { features: ['subgroups', 'timestamp-query'], maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupStorageSize: 16384, subgroupMinSize: 4, subgroupMaxSize: 4 };

/** An adapter with WebGPU's default limits and no optional feature (a visitor's, as far as a build can know). */
const WEBGPU_DEFAULTS: DeviceCapabilities = { features: [], maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupStorageSize: 16384 };

/**
 * A Monarch tuned on the H200 with a second factor on a 512-invocation schedule (a fake tuning
 * database): its kernel sets, in the build's order.
 */
function tunedOnH200(dtype: 'f32' | 'f16'): readonly ManifestKernelSet[] {
  const source = `module t\ndtype ${dtype}\nmap up : 48 -> 80 = monarch(nblocks: 4)`;
  const op = compileKernels(source, 't.mon').programs![0].ops[1];
  const tunedOn = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: dtype === 'f16' ? ['shader-f16'] : [] };
  const schedule = scheduleBeyond(op, { ...tunedOn, maxWorkgroupSize: 512 }, { ...tunedOn, maxWorkgroupSize: 256 });
  return compileKernels(source, 't.mon', { tuning: tuneOp(op, schedule, tunedOn) }).outputs!.manifest.maps[0].kernelSets!;
}

/** What a kernel computes and how, without its name. */
const work = (k: { ops: readonly number[]; schedule: unknown; workgroupSize: readonly number[]; dispatch: unknown }) => ({ ops: k.ops, schedule: k.schedule, workgroupSize: k.workgroupSize, dispatch: k.dispatch });

/**
 * Tuned f16 Monarchs beside their untuned builds (fake tuning databases): the H200 build above
 * (a 512-invocation strided factor: a tensor-core set follows), one whose every op that can is
 * on a 512-invocation schedule of a desktop GPU (its tensor-core set also replaces a
 * weight-gradient kernel), and one tuned on tensor cores (its tuned set runs wherever its
 * tensor-core set would: none).
 */
const tunedF16Builds = (() => {
  let builds: { tuned: ManifestMap; untuned: ManifestMap }[] | undefined;
  return () => {
    builds ??= [
      ['48 -> 80 = monarch(nblocks: 4)', 'h200'],
      ['64 -> 128 = monarch(nblocks: 2) + bias()', 'desktop'],
      ['256 -> 256 = monarch(nblocks: 16)', 'sgmat'],
    ].map(([spec, tuning]) => {
      const source = `module t\ndtype f16\nmap up : ${spec}`;
      const plain = compileKernels(source, 't.mon');
      const untuned = plain.outputs!.manifest.maps[0];
      const desktop = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 16384, features: ['shader-f16'] };
      const lookup: TuningLookup =
        tuning === 'h200'
          ? tuneOp(plain.programs![0].ops[1], scheduleBeyond(plain.programs![0].ops[1], { ...desktop, maxWorkgroupSize: 512 }, DEFAULT_LIMITS), desktop)
          : tuning === 'desktop'
            ? (ops) => {
                const [beyond] = ops.length === 1 ? schedulesBeyond(ops[0], desktop, DEFAULT_LIMITS) : [];
                return beyond && { schedule: beyond, limits: desktop };
              }
            : tuneOp(plain.programs![0].ops[0], kernelSetOf(untuned, 'tensor-core').kernels![0].schedule, TENSOR_CORE_TARGET);
      const tuned = compileKernels(source, 't.mon', { tuning: lookup }).outputs!.manifest.maps[0];
      expect(tuned.kernelSets!.map((s) => s.name), spec).toEqual(tuning === 'sgmat' ? ['tuned', 'portable', 'f32-storage'] : ['tuned', 'tensor-core', 'portable', 'f32-storage']);
      return { tuned, untuned };
    });
    return builds;
  };
})();

/** An untuned f16 Monarch whose tensor-core set fits the portable limits (δ = 3: its strided factor is the module's). */
const f16Monarch = (spec = '48 -> 96 = monarch(nblocks: 3)') => compileKernels(`module m\ndtype f16\nmap up : ${spec}`, 'm.mon').outputs!.manifest.maps[0];
const chosen = (caps: DeviceCapabilities) => chooseKernelSet('up', f16Monarch().kernelSets!, caps).set.name;

describe('the kernel set a device runs', () => {
  it('an untuned f16 Monarch: tensor cores on the H200, the portable f16 kernels without subgroup matrices or subgroups of 32, f32 storage without shader-f16', () => {
    expect(chosen(H200)).toBe('tensor-core');
    expect(chosen({ ...H200, features: ['shader-f16', 'subgroups'] })).toBe('portable');
    // AMD (64) or Intel (8..32): the tensor-core kernels' one-subgroup workgroups of 32 do not hold.
    expect(chosen({ ...H200, subgroupMinSize: 64, subgroupMaxSize: 64 })).toBe('portable');
    expect(chosen({ ...H200, subgroupMinSize: 8, subgroupMaxSize: 32 })).toBe('portable');
    expect(chosen({ ...H200, subgroupMinSize: undefined, subgroupMaxSize: undefined }), 'sizes not reported').toBe('portable');
    expect(chosen(SWIFTSHADER)).toBe('f32-storage');
    const { skipped } = chooseKernelSet('up', f16Monarch().kernelSets!, SWIFTSHADER);
    expect(skipped).toEqual([
      { name: 'tensor-core', unmet: [SUBGROUP_MATRIX, 'shader-f16', 'subgroups of 32'] },
      { name: 'portable', unmet: ['shader-f16'] },
    ]);
  });

  it("a tensor-core set that uses more of the H200's limits runs where they are: not on an adapter with tensor cores and 256 invocations, 32 KiB", () => {
    const map = f16Monarch('1024 -> 1024 = monarch(nblocks: 32)');
    const { requires } = map.kernelSets![0];
    expect(requires.maxComputeInvocationsPerWorkgroup > 256 || requires.maxComputeWorkgroupStorageSize > 32768, 'the set needs more than the smaller adapter has').toBe(true);
    const smaller = { ...H200, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupStorageSize: 32768 };
    expect(chooseKernelSet('up', map.kernelSets!, H200).set.name).toBe('tensor-core');
    expect(chooseKernelSet('up', map.kernelSets!, smaller).set.name).toBe('portable');
  });

  it('an untuned f32 build: the H200 runs its large set, an adapter with the WebGPU defaults (and SwiftShader) the portable one', () => {
    const map = compileKernels('module m\nmap up : 1024 -> 4096 = monarch(nblocks: 4)', 'm.mon').outputs!.manifest.maps[0];
    const sets = map.kernelSets!;
    expect(sets.map((s) => s.name)).toEqual(['large', 'portable']);
    expect(chooseKernelSet('up', sets, H200).set.name).toBe('large');
    const portable = chooseKernelSet('up', sets, WEBGPU_DEFAULTS);
    expect(portable.set.name).toBe('portable');
    expect(portable.skipped).toEqual([{ name: 'large', unmet: ['512 invocations', '32768 bytes of workgroup storage'] }]);
    expect(chooseKernelSet('up', sets, SWIFTSHADER).set.name).toBe('portable');
  });

  it('a build tuned on the H200: the H200 runs the tuned kernels, an adapter with the WebGPU defaults the portable ones (f16: f32 storage without shader-f16)', () => {
    const f32 = tunedOnH200('f32');
    // No large set: this small map's defaults for the H200's workgroup limits fit the portable ones (kernel-sets.ts untunedTargetSet).
    expect(f32.map((s) => s.name)).toEqual(['tuned', 'portable']);
    expect(chooseKernelSet('up', f32, H200).set.name).toBe('tuned');
    expect(chooseKernelSet('up', f32, WEBGPU_DEFAULTS)).toEqual({ set: f32[1], skipped: [{ name: 'tuned', unmet: ['512 invocations'] }] });
    expect(chooseKernelSet('up', f32, SWIFTSHADER).set.name).toBe('portable');
    const f16 = tunedOnH200('f16');
    // The tensor-core set (128 invocations) runs where 512 do not: an adapter with tensor cores and 256 invocations.
    expect(f16.map((s) => s.name)).toEqual(['tuned', 'tensor-core', 'portable', 'f32-storage']);
    expect(chooseKernelSet('up', f16, H200).set.name).toBe('tuned');
    expect(chooseKernelSet('up', f16, { ...H200, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256 }).set.name).toBe('tensor-core');
    expect(chooseKernelSet('up', f16, { ...WEBGPU_DEFAULTS, features: ['shader-f16'] }).set.name).toBe('portable');
    expect(chooseKernelSet('up', f16, WEBGPU_DEFAULTS).set.name).toBe('f32-storage');
    // The same build as monc wrote it before tuned builds shipped a portable set: refused in one line.
    expect(() => chooseKernelSet('up', f32.slice(0, 1), WEBGPU_DEFAULTS)).toThrow(/^map 'up': no kernel set of the build runs on this adapter \(tuned needs 512 invocations\); rebuild it with this version of monc, keeping a set it runs$/);
    expect(DEFAULT_LIMITS.maxWorkgroupSize).toBe(WEBGPU_DEFAULTS.maxComputeInvocationsPerWorkgroup);
  });

  test.prop([fc.subarray(['shader-f16', 'subgroups', SUBGROUP_MATRIX]), fc.constantFrom(256, 512, 1024), fc.constantFrom(16384, 32768, 49152), fc.constantFrom(undefined, 16, 32)], { numRuns: 60 })(
    'a tuned f16 build: the tuned set where the device meets it, else what the untuned build runs there (tensor-core before portable), the same kernels',
    (features, invocations, storage, subgroup) => {
      const device: DeviceCapabilities = { features, maxComputeInvocationsPerWorkgroup: invocations, maxComputeWorkgroupSizeX: invocations, maxComputeWorkgroupStorageSize: storage, subgroupMinSize: subgroup, subgroupMaxSize: subgroup };
      for (const { tuned, untuned } of tunedF16Builds()) {
        const tunedSet = tuned.kernelSets![0];
        expect(tunedSet.name).toBe('tuned');
        const got = chooseKernelSet('up', tuned.kernelSets!, device).set;
        if (unmetRequirements(tunedSet.requires, device).length === 0) {
          expect(got).toBe(tunedSet);
          continue;
        }
        const want = chooseKernelSet('up', untuned.kernelSets!, device).set;
        expect(got.name).toBe(want.name);
        if (want.name === 'f32-storage') continue; // its own f32 module, tuned within the portable limits: not the untuned one
        const forward = (set: ManifestKernelSet, map: ManifestMap) => (set.kernels ?? map.kernels).map(work);
        const backward = (set: ManifestKernelSet, map: ManifestMap) => (set.backwardKernels ?? map.backward!.kernels).map(work);
        expect(forward(got, tuned)).toEqual(forward(want, untuned));
        expect(backward(got, tuned)).toEqual(backward(want, untuned));
      }
    },
  );

  it('names what a device lacks: features, invocations (either limit), workgroup storage, subgroup size', () => {
    const requires: ManifestRequirements = { features: ['shader-f16', 'subgroups'], maxComputeInvocationsPerWorkgroup: 512, maxComputeWorkgroupStorageSize: 32768, subgroupSize: 32 };
    expect(unmetRequirements(requires, H200)).toEqual([]);
    expect(unmetRequirements(requires, { ...H200, maxComputeWorkgroupSizeX: 256 })).toEqual(['512 invocations']);
    expect(unmetRequirements(requires, { ...H200, subgroupMinSize: undefined })).toEqual(['subgroups of 32']);
    expect(unmetRequirements(requires, SWIFTSHADER)).toEqual(['shader-f16', '512 invocations', '32768 bytes of workgroup storage', 'subgroups of 32']);
  });

  test.prop(
    [
      fc.array(fc.record({ features: fc.subarray(['shader-f16', 'subgroups', SUBGROUP_MATRIX]), invocations: fc.constantFrom(64, 256, 1024), storage: fc.constantFrom(16384, 32768), subgroup: fc.option(fc.constantFrom(16, 32), { nil: undefined }) }), { minLength: 1, maxLength: 4 }),
      fc.record({ features: fc.subarray(['shader-f16', 'subgroups', SUBGROUP_MATRIX]), invocations: fc.constantFrom(256, 1024), storage: fc.constantFrom(16384, 49152), subgroup: fc.constantFrom(16, 32) }),
    ],
    { numRuns: 100 },
  )('takes the first set whose every requirement the device meets, else refuses with a device error', (specs, dev) => {
    const sets: ManifestKernelSet[] = specs.map((s, i) => ({
      name: (['tensor-core', 'tuned', 'portable', 'f32-storage'] as const)[i],
      storage: 'f16',
      requires: { features: s.features, maxComputeInvocationsPerWorkgroup: s.invocations, maxComputeWorkgroupStorageSize: s.storage, ...(s.subgroup ? { subgroupSize: s.subgroup } : {}) },
    }));
    const device: DeviceCapabilities = { features: dev.features, maxComputeInvocationsPerWorkgroup: dev.invocations, maxComputeWorkgroupSizeX: dev.invocations, maxComputeWorkgroupStorageSize: dev.storage, subgroupMinSize: dev.subgroup, subgroupMaxSize: dev.subgroup };
    const fits = (s: (typeof specs)[number]) => s.features.every((f) => dev.features.includes(f)) && s.invocations <= dev.invocations && s.storage <= dev.storage && (s.subgroup === undefined || s.subgroup === dev.subgroup);
    const first = specs.findIndex(fits);
    if (first < 0) {
      expect(() => chooseKernelSet('m', sets, device)).toThrow(MoncError);
      expect(() => chooseKernelSet('m', sets, device)).toThrow(/^map 'm': no kernel set of the build runs on this adapter \(tensor-core needs .*\); rebuild it with this version of monc, keeping a set it runs$/);
    } else {
      const choice = chooseKernelSet('m', sets, device);
      expect(choice.set).toBe(sets[first]);
      expect(choice.skipped.map((s) => s.name)).toEqual(sets.slice(0, first).map((s) => s.name));
    }
  });

  it("a tensor-core set whose subgroup-matrix configurations the adapter does not list is passed over, not tried (QA2 s11 B7); an adapter that lists none is left to the compile", () => {
    const [tensorCore] = f16Monarch().kernelSets!;
    expect(tensorCore.requires.subgroupMatrixConfigs).toEqual(['f16->f32 16x16x16']);
    // What Dawn lists on the H200 (bench/results/s12/call-4/log.txt), and an adapter with the feature but other shapes only.
    const h200 = ['f16->f16 16x16x16', 'f16->f16 16x8x16', 'f16->f32 16x16x16', 'f16->f32 16x8x16', 'i8->i32 16x16x32'];
    expect(chosen({ ...H200, subgroupMatrixConfigs: h200 })).toBe('tensor-core');
    const others = { ...H200, subgroupMatrixConfigs: ['f16->f16 8x8x8', 'f16->f32 8x8x8'] };
    expect(chooseKernelSet('up', f16Monarch().kernelSets!, others)).toMatchObject({ set: { name: 'portable' }, skipped: [{ name: 'tensor-core', unmet: ['subgroup matrices f16->f32 16x16x16'] }] });
    expect(chosen({ ...H200, subgroupMatrixConfigs: undefined }), 'no list: tried, and on a failed compile the runner falls back').toBe('tensor-core');
    expect(chosen({ ...H200, subgroupMatrixConfigs: [] }), 'an empty list is no list (the H200 in session 14 passed the set over)').toBe('tensor-core');
    // From JavaScript (monc/runtime's checked export): a list that is not of names is refused, not a TypeError.
    expectMoncErrorNow(() => checked.unmetRequirements(tensorCore.requires, { ...H200, subgroupMatrixConfigs: 'f16->f32 16x16x16' as never }), 'user', "unmetRequirements() takes a device's capabilities");
    expectMoncErrorNow(() => checked.unmetRequirements({ ...tensorCore.requires, subgroupMatrixConfigs: [16] as never }, H200), 'user', "unmetRequirements() takes a kernel set's requirements");
  });

  it('deviceCapabilities names the adapter\'s subgroup-matrix configurations as a manifest does; none without a list', () => {
    const limits = { maxStorageBufferBindingSize: 1, maxBufferSize: 1, maxComputeWorkgroupStorageSize: 49152, maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupSizeX: 1024, maxComputeWorkgroupsPerDimension: 65535 };
    const device = (adapterInfo?: object) => ({ features: new Set([SUBGROUP_MATRIX]), limits, adapterInfo }) as unknown as GPUDevice;
    const configs = [
      { componentType: 'f16', resultComponentType: 'f32', M: 16, N: 16, K: 16 },
      { componentType: 'i8', resultComponentType: 'i32', M: 16, N: 8, K: 32 },
    ];
    expect(deviceCapabilities(device({ subgroupMinSize: 32, subgroupMaxSize: 32, subgroupMatrixConfigs: configs })).subgroupMatrixConfigs).toEqual(['f16->f32 16x16x16', 'i8->i32 16x8x32']);
    expect(deviceCapabilities(device({ subgroupMinSize: 32, subgroupMaxSize: 32 })).subgroupMatrixConfigs).toBeUndefined();
    expect(deviceCapabilities(device()).subgroupMatrixConfigs).toBeUndefined();
  });

  it("the module's dtype from a map alone (MapRunner.create without { dtype }, QA2 s12 R1): f16 where its sets store f16 or an older manifest has a fallback", () => {
    expect(moduleDtype(f16Monarch())).toBe('f16');
    expect(moduleDtype(compileKernels('module m\nmap up : 48 -> 96 = monarch(nblocks: 3)', 'm.mon').outputs!.manifest.maps[0])).toBe('f32');
    expect(moduleDtype({ ...f16Monarch(), kernelSets: tunedOnH200('f16') }), 'tuned').toBe('f16');
    expect(moduleDtype({ ...f16Monarch(), kernelSets: tunedOnH200('f32') })).toBe('f32');
    expect(moduleDtype(olderManifestMap(f16Monarch()))).toBe('f16');
  });

  it("an older monc's manifest: its kernels where shader-f16 is, its fallback elsewhere; without a fallback a rebuild", () => {
    const older = olderManifestMap(f16Monarch());
    const sets = kernelSetsOf(older, 'f16');
    expect(sets.map((s) => s.name)).toEqual(['module', 'f32-storage']);
    expect(chooseKernelSet('up', sets, H200).set.kernels, "the module's kernels").toBeUndefined();
    expect(chooseKernelSet('up', sets, SWIFTSHADER).set.kernels).toEqual(older.fallback!.kernels);
    expect(kernelSetsOf(olderManifestMap(f16Monarch(), false), 'f32').map((s) => s.name)).toEqual(['module']);
    const noFallback = kernelSetsOf(olderManifestMap(f16Monarch(), false), 'f16');
    expectMoncErrorNow(() => chooseKernelSet('up', noFallback, SWIFTSHADER), 'device', "map 'up': no kernel set of the build runs on this adapter (module needs shader-f16); rebuild it with this version of monc, keeping a set it runs");
  });
});
