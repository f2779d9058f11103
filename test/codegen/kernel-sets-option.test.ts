/**
 * `kernelSets` (compileKernels / compileModule, `monc build --kernel-sets`, the plugins'
 * `kernelSets`): each map lists only the sets named, each the same as the full build's, in the
 * same order; the module's WGSL is the same; leaving out the tensor-core or large set shrinks the
 * manifest. A map left with no set, or an f16 map with f32-storage alone, is refused; kept sets
 * that some adapter cannot run give a note saying what happens there and which set to keep.
 */
import { describe, expect, it } from 'vitest';
import { compileKernels, type CompileKernelsOptions, type TuningLookup } from '../../src/compile-kernels.js';
import { compileModule } from '../../src/compile.js';
import { DEFAULT_LIMITS } from '../../src/codegen/wgsl/index.js';
import type { BuildKernelSet } from '../../src/manifest/build-kernel-sets.js';
import { MoncError } from '../../src/util/error.js';
import { schedulesBeyond } from '../support/kernel-sets.js';

const F32 = 'module up\nmap up : 64 -> 256 = monarch(nblocks: 4)\n';
const F16 = 'module up\ndtype f16\nmap up : 64 -> 256 = monarch(nblocks: 4)\n';

const build = (source: string, options: CompileKernelsOptions = {}) => compileKernels(source, 'up.mon', { forwardOnly: true, ...options }).outputs!;
const names = (source: string, kernelSets?: readonly BuildKernelSet[]) => build(source, kernelSets ? { kernelSets } : {}).manifest.maps[0].kernelSets!.map((s) => s.name);

function refusal(run: () => unknown): { kind: string; message: string } {
  try {
    run();
  } catch (e) {
    if (e instanceof MoncError) return { kind: e.kind, message: e.message };
    throw e;
  }
  throw new Error('not refused');
}

describe('kernelSets', () => {
  it.each([
    [F32, ['portable'] as const, ['portable']],
    [F32, ['large'] as const, ['large']],
    [F16, ['portable', 'f32-storage'] as const, ['portable', 'f32-storage']],
    [F16, ['f32-storage', 'tensor-core'] as const, ['tensor-core', 'f32-storage']],
  ])('keeps the full build\'s sets it names, in their order, the module\'s WGSL unchanged (%#)', (source, kept, expected) => {
    const full = build(source);
    const part = build(source, { kernelSets: kept });
    const sets = part.manifest.maps[0].kernelSets!;
    expect(sets.map((s) => s.name)).toEqual(expected);
    for (const set of sets) expect(set).toEqual(full.manifest.maps[0].kernelSets!.find((s) => s.name === set.name));
    expect(part.wgsl).toBe(full.wgsl);
  });

  it('leaving the large or tensor-core set out shrinks the manifest (by its WGSL), with no note where a kept set runs everywhere', () => {
    expect(names(F32)).toEqual(['large', 'portable']);
    expect(names(F16)).toEqual(['tensor-core', 'portable', 'f32-storage']);
    for (const [source, kept] of [[F32, ['portable']], [F16, ['portable', 'f32-storage']]] as const) {
      const full = build(source);
      const part = build(source, { kernelSets: kept });
      const left = full.manifest.maps[0].kernelSets!.find((s) => !(kept as readonly string[]).includes(s.name))!;
      expect(full.manifestJson.length - part.manifestJson.length).toBeGreaterThan(left.wgsl!.text.length);
      expect(part.kernelSetNotes).toBeUndefined();
    }
  });

  it('kept sets that an adapter with WebGPU\'s defaults cannot run: a note saying what happens there and which set to keep', () => {
    expect(build(F32, { kernelSets: ['large'] }).kernelSetNotes).toEqual([
      "map 'up': no kernel set kept runs on every adapter (large needs 512 invocations, 32768 bytes of workgroup storage): on an adapter without that, creating the map fails with a device error ('no kernel set of the build runs on this adapter'); keep portable too for those",
    ]);
    expect(build(F16, { kernelSets: ['portable'] }).kernelSetNotes).toEqual([
      "map 'up': no kernel set kept runs on every adapter (portable needs shader-f16): on an adapter without that, creating the map fails with a device error ('no kernel set of the build runs on this adapter'); keep f32-storage too for those",
    ]);
  });

  it('refuses a map left with no set, and an f16 map with its f32-storage set alone', () => {
    // Worded for `monc build --kernel-sets` and the option alike (QA2 s14 R32: it named the option to a CLI user), naming the spec (QA s14 Q32).
    expect(refusal(() => build(F32, { kernelSets: ['tensor-core', 'tuned'] }))).toEqual({
      kind: 'user',
      message: "up.mon: map 'up': its kernel sets are large, portable, and none of them is among the sets kept (tensor-core, tuned); keep one of its sets",
    });
    expect(refusal(() => build(F16, { kernelSets: ['f32-storage'] }))).toEqual({
      kind: 'user',
      message: "up.mon: map 'up': of a dtype f16 module's kernel sets only f32-storage is kept; keep one of its f16 sets too (tensor-core, portable), or declare dtype f32",
    });
  });

  it('in a build tuned beyond the portable limits, tuned alone leaves out the portable fallback', () => {
    const desktop = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 16384, features: [] };
    const tuning: TuningLookup = (ops) => {
      const [beyond] = ops.length === 1 ? schedulesBeyond(ops[0], desktop, DEFAULT_LIMITS) : [];
      return beyond && { schedule: beyond, limits: desktop };
    };
    const source = 'module t\nmap up : 48 -> 80 = monarch(nblocks: 4) + bias()\n';
    expect(build(source, { tuning }).manifest.maps[0].kernelSets!.map((s) => s.name)).toEqual(['tuned', 'portable']);
    const tuned = build(source, { tuning, kernelSets: ['tuned'] });
    expect(tuned.manifest.maps[0].kernelSets!.map((s) => s.name)).toEqual(['tuned']);
    expect(tuned.kernelSetNotes![0]).toMatch(/^map 'up': no kernel set kept runs on every adapter \(tuned needs \d+ invocations\).*; keep portable too for those$/);
  });

  it.each([
    [['portible'], 'compileModule: kernelSets must be a list of kernel set names, and "portible" is none (the sets are tuned, tensor-core, large, portable, f32-storage), got ["portible"]'],
    [[], 'compileModule: kernelSets must be a non-empty list of kernel set names (the sets are tuned, tensor-core, large, portable, f32-storage), got []'],
    ['portable', 'compileModule: kernelSets must be a non-empty list of kernel set names (the sets are tuned, tensor-core, large, portable, f32-storage), got "portable"'],
    [['module'], 'compileModule: kernelSets must be a list of kernel set names, and "module" is none (the sets are tuned, tensor-core, large, portable, f32-storage), got ["module"]'],
  ])('compileModule refuses kernelSets %j', (kernelSets, message) => {
    expect(refusal(() => compileModule(F32, 'up.mon', { kernelSets } as unknown as CompileKernelsOptions))).toEqual({ kind: 'user', message });
  });
});
