/**
 * The runtime's lower-level helpers as monc/runtime exports them: from JavaScript, arguments of
 * the wrong kind (nothing, null, a string, a map where its model or params belong) are one
 * MoncError of kind `user` naming the function and what it takes (QA s11 A5; install.md: any
 * other error is a bug in monc), not a TypeError from deep inside. Each checks what it reads and
 * calls the runtime's own function, which the runtime's calls keep using unchecked: no page
 * bundles these checks (as f32ArrayToF16 and requestMoncDevice).
 */
import type { Dtype, OpData, ParamLayoutEntry } from '../manifest/program.js';
import type { ManifestKernelSet, ManifestMap, ManifestRequirements } from '../manifest/types.js';
import type { EmittedKernel } from '../manifest/dispatch.js';
import type { MoncError } from '../util/error.js';
import { isRecord } from '../util/library-arguments.js';
import { describeAdapter as describe, deviceCapabilities as capabilitiesOf, type DeviceCapabilities } from './device.js';
import { GpuExecutor as Executor, planKernels as plan, type ExecutorSpec, type KernelPlan } from './gpu-executor.js';
import { PipelineCache as Cache } from './pipeline-cache.js';
import { chooseKernelSet as choose, kernelSetsOf as setsOf, unmetRequirements as unmet, type KernelSetChoice } from './kernel-sets.js';
import { programOfManifest as programOf } from './manifest-program.js';
import { packParams as pack, ParamError, unpackParams as unpack } from './params.js';
import type { ProgramData } from '../manifest/program.js';
import { isPlainObject, shown, typeName, userError } from './user-error.js';
import { patternSource } from '../manifest/pattern.js';
import { FormatError } from './formats/format-error.js';

const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isStrings = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === 'string');
/** An optional list of names (the subgroup-matrix configurations): absent, or strings. */
const isNames = (v: unknown): boolean => v === undefined || isStrings(v);

/** `<fn>() takes <takes>, got <what it got>`: a value by its kind, an object by its class (typeName). */
function refuse(fn: string, takes: string, got: unknown): MoncError {
  return userError(`${fn}() takes ${takes}, got ${typeName(got)}`);
}

/** A decoded manifest's map (what MapRunner.create takes): its params, ops and buffers as lists. */
export function checkManifestMap(fn: string, map: unknown): asserts map is ManifestMap {
  if (!(isRecord(map) && typeof map.name === 'string' && Array.isArray(map.params) && Array.isArray(map.ops) && Array.isArray(map.buffers))) {
    throw refuse(fn, "a decoded manifest's map (manifest.maps[i])", map);
  }
}

function checkDtype(fn: string, dtype: unknown): asserts dtype is Dtype {
  if (dtype !== 'f32' && dtype !== 'f16') throw userError(`${fn}(): dtype must be 'f32' or 'f16', got ${shown(dtype)}`);
}

function checkLayout(fn: string, layout: unknown): asserts layout is readonly ParamLayoutEntry[] {
  const entry = (e: unknown) => isRecord(e) && typeof e.name === 'string' && Array.isArray(e.shape) && e.shape.every(isCount) && isCount(e.offset);
  if (!(Array.isArray(layout) && layout.every(entry))) throw refuse(fn, "a parameter layout (a manifest map's params)", layout);
}

function checkCapabilities(fn: string, device: unknown): asserts device is DeviceCapabilities {
  if (!(isRecord(device) && isStrings(device.features) && typeof device.maxComputeInvocationsPerWorkgroup === 'number' && typeof device.maxComputeWorkgroupStorageSize === 'number' && isNames(device.subgroupMatrixConfigs))) {
    throw refuse(fn, "a device's capabilities (deviceCapabilities(device))", device);
  }
}

function checkRequirements(fn: string, requires: unknown): asserts requires is ManifestRequirements {
  if (!(isRecord(requires) && isStrings(requires.features) && typeof requires.maxComputeInvocationsPerWorkgroup === 'number' && typeof requires.maxComputeWorkgroupStorageSize === 'number' && isNames(requires.subgroupMatrixConfigs))) {
    throw refuse(fn, "a kernel set's requirements (its requires)", requires);
  }
}

export function deviceCapabilities(device: GPUDevice): DeviceCapabilities {
  const d = device as unknown;
  if (!(isRecord(d) && typeof d.createBindGroupLayout === 'function' && isRecord(d.limits) && isRecord(d.features))) throw refuse('deviceCapabilities', 'a GPUDevice', d);
  return capabilitiesOf(device);
}

export function describeAdapter(info: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>): string {
  if (!isRecord(info)) throw refuse('describeAdapter', "an adapter's info (adapter.info, device.adapterInfo)", info);
  return describe(info);
}

export function kernelSetsOf(map: ManifestMap, dtype: Dtype): readonly ManifestKernelSet[] {
  checkManifestMap('kernelSetsOf', map);
  checkDtype('kernelSetsOf', dtype);
  return setsOf(map, dtype);
}

export function unmetRequirements(requires: ManifestRequirements, device: DeviceCapabilities): string[] {
  checkRequirements('unmetRequirements', requires);
  checkCapabilities('unmetRequirements', device);
  return unmet(requires, device);
}

export function chooseKernelSet(mapName: string, sets: readonly ManifestKernelSet[], device: DeviceCapabilities): KernelSetChoice {
  if (typeof mapName !== 'string') throw refuse('chooseKernelSet', "a map's name", mapName);
  if (!(Array.isArray(sets) && sets.every((s) => isRecord(s) && typeof s.name === 'string'))) throw refuse('chooseKernelSet', "a map's kernel sets (kernelSetsOf(map, dtype))", sets);
  for (const set of sets) checkRequirements('chooseKernelSet', set.requires);
  checkCapabilities('chooseKernelSet', device);
  return choose(mapName, sets, device);
}

export function programOfManifest(map: ManifestMap, dtype: Dtype): ProgramData {
  checkManifestMap('programOfManifest', map);
  checkDtype('programOfManifest', dtype);
  return programOf(map, dtype);
}

export function packParams(layout: readonly ParamLayoutEntry[], paramSize: number, tensors: Parameters<typeof pack>[2], dtype: Dtype = 'f32'): Float32Array {
  checkLayout('packParams', layout);
  if (!isCount(paramSize)) throw userError(`packParams(): paramSize must be a whole number ≥ 0, got ${shown(paramSize)}`);
  checkDtype('packParams', dtype);
  // A Promise, an Array or a typed array holds no tensors by name (QA2 s31 Q1051); what is missing or of the wrong size is
  // the function's own to name (a ParamError).
  if (!(tensors instanceof Map || isPlainObject(tensors))) throw refuse('packParams', 'tensors by name (an object or a Map)', tensors);
  return pack(layout, paramSize, tensors, dtype);
}

export function unpackParams(layout: readonly ParamLayoutEntry[], packed: ArrayLike<number>): Map<string, Float32Array> {
  checkLayout('unpackParams', layout);
  if (!isRecord(packed) || typeof packed.length !== 'number') throw refuse('unpackParams', 'the packed parameters (an array of numbers)', packed);
  return unpack(layout, packed);
}

export function planKernels(kernels: readonly EmittedKernel[], ops: readonly OpData[]): KernelPlan[] {
  const isKernel = (k: unknown) => isRecord(k) && typeof k.entryPoint === 'string' && Array.isArray(k.ops) && k.ops.length > 0 && k.ops.every((i) => Number.isInteger(i) && i >= 0 && i < (ops as unknown[]).length);
  if (!(Array.isArray(ops) && (ops as unknown[]).every((op): boolean => isRecord(op)))) throw refuse('planKernels', "a program's ops", ops);
  if (!(Array.isArray(kernels) && kernels.every(isKernel))) throw refuse('planKernels', 'emitted kernels whose ops are indices of `ops`', kernels);
  return plan(kernels, ops);
}

function checkDevice(fn: string, device: unknown): asserts device is GPUDevice {
  if (!(isRecord(device) && typeof device.createBindGroupLayout === 'function')) throw refuse(fn, "a GPUDevice (requestMoncDevice()'s .device)", device);
}

/**
 * The class itself (its instances, `instanceof`, its other statics) with `create` checking its
 * arguments: a proxy, so that the runtime's runners keep calling the unchecked class. `checked`
 * takes what the static returns (GpuExecutor.create: the executor, to check its calls).
 */
function withCheckedStatic<C extends object>(cls: C, name: string, check: (fn: string, args: unknown[]) => void, rejects = false, checked = (made: unknown, _args: unknown[]) => made): C {
  return new Proxy(cls, {
    get: (target, key, receiver) => {
      const value = Reflect.get(target, key, receiver);
      if (key !== name) return value;
      return (...args: unknown[]) => {
        try {
          check(`${(target as { name?: string }).name}.${name}`, args);
        } catch (e) {
          // An async static (create) rejects, as it does for its other failures.
          if (rejects) return Promise.reject(e);
          throw e;
        }
        return checked((value as (...a: unknown[]) => unknown).apply(target, args), args);
      };
    },
  });
}

// (Pure: a page that does not import them does not bundle them.)
/** GpuExecutor.create(device, spec) with its arguments checked: a GPUDevice and an executor spec (a map's sizes, buffers, WGSL and kernels). */
export type GpuExecutor = Executor;
export const GpuExecutor = /* @__PURE__ */ withCheckedStatic(Executor, 'create', (fn, [device, spec]) => {
  checkDevice(fn, device);
  const s = spec as Record<string, unknown>;
  if (!(isRecord(spec) && typeof s.name === 'string' && typeof s.wgsl === 'string' && Array.isArray(s.kernels) && Array.isArray(s.buffers) && isCount(s.in) && isCount(s.out) && isCount(s.paramSize))) {
    throw refuse(fn, "an executor spec (a manifest map with its kernel set's wgsl, kernels and storage)", spec);
  }
  const ops = (s.ops ?? []) as OpData[];
  const reader = (s.kernels as KernelPlan[]).find((k) => k.pattern && !(ops[k.ops?.[0] ?? -1] && patternSource(ops[k.ops![0]])));
  // A block-sparse kernel without the op its pattern table comes from (pattern-buffers.ts builds the tables and trusts its ops).
  if (reader) throw new FormatError(`kernel ${reader.entryPoint} reads a pattern table, but its op has no block pattern`);
}, true, (made, [, spec]) => (made as Promise<Executor>).then((executor) => withCheckedWrites(executor, (spec as ExecutorSpec).paramSize)));

/**
 * `executor` with writeParams refusing packed parameters of another length than its map's (kind
 * 'param'): a caller's mistake here would write part of them, or fail on the device's queue. The
 * runners give it packParams' result, so the check is here, not in every page.
 */
function withCheckedWrites(executor: Executor, paramSize: number): Executor {
  const write = executor.writeParams.bind(executor);
  executor.writeParams = (packed) => {
    if (packed?.length !== paramSize) throw new ParamError(`packed parameters have ${packed?.length} elements, expected ${paramSize}`);
    write(packed);
  };
  return executor;
}

/** PipelineCache, its constructor and PipelineCache.for(device) taking a GPUDevice only. */
export type PipelineCache = Cache;
export const PipelineCache = /* @__PURE__ */ new Proxy(
  /* @__PURE__ */ withCheckedStatic(Cache, 'for', (fn, [device]) => checkDevice(fn, device)),
  {
    construct: (target, args, newTarget) => {
      checkDevice('new PipelineCache', args[0]);
      return Reflect.construct(target, args, newTarget);
    },
  },
);
