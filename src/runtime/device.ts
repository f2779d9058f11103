/**
 * Device acquisition (browser-safe): navigator.gpu when the platform has one, else the provider
 * a platform module registered (node-device.ts registers Dawn). Requests the optional features
 * monc kernels can use and the adapter's full storage and workgroup limits.
 */
import type { AdapterOffer } from '../manifest/requirements.js';
import type { TargetLimits } from '../manifest/dispatch.js';
import { subgroupMatrixConfigName, type SubgroupMatrixConfig } from '../manifest/subgroup-matrix.js';
import { deviceError, MoncError } from '../util/error.js';
import { checkOptionNames, isPlainObject, shown, typeName, userError } from './user-error.js';

/**
 * Features monc asks for whenever the adapter has them. The subgroup-matrix feature (tensor
 * cores, the ks-sgmat kernels; Dawn offers it only with its `allow_unsafe_apis` toggle, which
 * node-device.ts sets) is used together with shader-f16: with both, a runner takes an f16 map's
 * tensor-core kernel set where the build has one.
 */
const OPTIONAL_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query', 'chromium-experimental-subgroup-matrix'] as const;

/** Limits raised to the adapter's maximum. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** Where adapters come from when there is no navigator.gpu. */
export interface GpuProvider {
  /** An adapter (null when the platform has none) and an optional note for the user (stderr). */
  requestAdapter(options?: GPURequestAdapterOptions): Promise<{ readonly adapter: GPUAdapter | null; readonly note?: string }>;
  /** Told of each device monc requests (Node: to destroy it before the process exits). */
  deviceCreated?(device: GPUDevice): void;
}

let provider: GpuProvider | undefined;

/** Registers the adapter source used when globalThis.navigator.gpu is absent (Node); null or undefined: none. */
export function registerGpuProvider(p: GpuProvider | null | undefined): void {
  // From JavaScript (QA2 s13 R21 addendum): anything else was taken, and every later device request threw a TypeError.
  if (p != null && typeof p.requestAdapter !== 'function') throw userError(`registerGpuProvider takes a GpuProvider ({ requestAdapter(options) }), got ${typeName(p)}`);
  provider = p ?? undefined;
}

export interface MoncDevice {
  readonly device: GPUDevice;
  /** The adapter the device came from (the tuner keys its results by it). */
  readonly adapter: GPUAdapter;
  /** Vendor, architecture, device and driver, for messages like `monc run`'s adapter line. */
  readonly adapterDescription: string;
  /** The features enabled on the device. */
  readonly features: readonly string[];
  /** A remark about how the adapter was found (e.g. a software fallback), for stderr. */
  readonly note?: string;
}

export interface RequestDeviceOptions {
  readonly powerPreference?: GPUPowerPreference | undefined;
  /** Use this adapter instead of asking for one. */
  readonly adapter?: GPUAdapter | undefined;
}

/** There is no WebGPU adapter (or no WebGPU at all): callers fall back to the CPU executor. */
export class NoAdapterError extends MoncError {
  override readonly name = 'NoAdapterError';
  /** Why there is none (the message without its 'no WebGPU adapter: ' prefix). */
  // `declare`d and set by the constructor: a field declaration in every page adds nothing the assignment does not.
  declare readonly reason: string;

  constructor(reason: string) {
    super('device', `no WebGPU adapter: ${reason}`);
    this.reason = reason;
  }
}

function browserGpu(): GPU | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return nav?.gpu;
}

/** The platform's adapter (`request`: requestMoncDevice's options; getSharedDevice, in every page, asks for the default one). */
async function findAdapter(request?: GPURequestAdapterOptions): Promise<{ adapter: GPUAdapter; note?: string }> {
  const gpu = browserGpu();
  if (gpu) {
    const adapter = await gpu.requestAdapter(request);
    if (!adapter) throw new NoAdapterError('navigator.gpu.requestAdapter() returned null');
    return { adapter };
  }
  if (!provider) {
    throw new NoAdapterError("this platform has no navigator.gpu (in Node, import 'monc/runtime/node' to use Dawn)");
  }
  const found = await provider.requestAdapter(request);
  if (!found.adapter) throw new NoAdapterError(found.note ?? 'the WebGPU implementation found no adapter');
  // (The provider's answer as it is, its adapter now known: a copy of its two fields would cost every page bytes.)
  return found as { adapter: GPUAdapter; note?: string };
}

/** A readable one-line description of an adapter (from GPUAdapter.info or GPUDevice.adapterInfo, or a tuning entry's adapter). */
export function describeAdapter(info: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>): string {
  // Empty fields (most browsers leave some) are left out.
  const name = [info.vendor, info.architecture, info.device].filter(Boolean).join(' ') || 'unknown adapter';
  return info.description ? `${name} (${info.description})` : name;
}

export async function requestMoncDevice(options: RequestDeviceOptions = {}): Promise<MoncDevice> {
  // From JavaScript `null` means none, as `undefined` does.
  const { adapter, powerPreference } = options ?? {};
  return deviceOf(adapter ? { adapter } : await findAdapter(powerPreference ? { powerPreference } : {}));
}

/** The device monc asks of an adapter: its optional features and raised limits. */
async function deviceOf({ adapter, note }: { adapter: GPUAdapter; note?: string }): Promise<MoncDevice> {
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const value = adapter.limits[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits, label: 'monc' });
  if (!browserGpu()) provider?.deviceCreated?.(device);
  return {
    device,
    adapter,
    adapterDescription: describeAdapter(adapter.info),
    features: [...device.features].sort(),
    ...(note ? { note } : {}),
  };
}

/**
 * requestMoncDevice as the package exports it (monc/runtime, monc): from JavaScript, options of
 * the wrong kind are a MoncError of kind `user` naming the option, not a TypeError of Dawn's
 * (`{ adapter: device }`, `{ powerPreference: 'fast' }`). getSharedDevice calls the unchecked
 * one without options, so no page bundles these checks.
 */
export async function requestMoncDeviceChecked(options?: RequestDeviceOptions): Promise<MoncDevice> {
  const given = (options ?? {}) as { adapter?: { requestDevice?: unknown; constructor?: { name?: string } }; powerPreference?: unknown };
  const wrong = (what: string, got: unknown) => userError(`requestMoncDevice: ${what}, got ${String(got)}`);
  // Shown as every runner refusal shows a value (QA2 s31 Q1055: 'a\nb' was 'got string'); an Array or a Map is no options object.
  if (!isPlainObject(given)) throw wrong('options must be an object ({ adapter, powerPreference })', shown(given));
  checkOptionNames('requestMoncDevice', given, ['adapter', 'powerPreference']);
  const { adapter, powerPreference } = given;
  if (adapter != null && typeof adapter.requestDevice !== 'function') throw wrong('adapter must be a GPUAdapter', typeName(adapter));
  if (powerPreference !== undefined && powerPreference !== 'low-power' && powerPreference !== 'high-performance') {
    throw wrong("powerPreference must be 'low-power' or 'high-performance'", typeof powerPreference === 'string' ? `'${powerPreference}'` : typeName(powerPreference));
  }
  try {
    return await requestMoncDevice(options ?? {});
  } catch (e) {
    // WebGPU's refusal of a device: an OperationError, e.g. for an adapter that made one already (QA2 s22 Q158: Dawn's
    // DOMException, its message going on with a line of Dawn's build path). One line of kind 'device'.
    if ((e as Error | null)?.name !== 'OperationError') throw e;
    const why = String((e as Error).message).split('\n')[0];
    throw deviceError(`requestMoncDevice: the adapter gave no device (${why})${adapter ? '; a GPUAdapter gives one device: request a new adapter, or leave adapter out' : ''}`);
  }
}

/** What kernels emitted for this device may use (its workgroup size and storage limits, its features). */
export function deviceTargetLimits(device: GPUDevice): TargetLimits {
  // From JavaScript: nothing, requestMoncDevice()'s object instead of its .device, the adapter (a page never bundles this check: only the tuner calls it).
  const given = device as { createBindGroupLayout?: unknown; constructor?: { name?: string } } | null | undefined;
  if (typeof given?.createBindGroupLayout !== 'function') {
    throw userError(`deviceTargetLimits(device) takes a GPUDevice (requestMoncDevice()'s .device), got ${typeName(given)}`);
  }
  const l = device.limits;
  return {
    maxWorkgroupSize: Math.min(l.maxComputeInvocationsPerWorkgroup, l.maxComputeWorkgroupSizeX),
    maxWorkgroupStorageBytes: l.maxComputeWorkgroupStorageSize,
    features: [...device.features].sort(),
  };
}

/**
 * What a device offers that a kernel set may require (runtime/kernel-sets.ts): its enabled
 * features, its workgroup limits, and its adapter's subgroup sizes and subgroup-matrix
 * configurations (GPUDevice.adapterInfo; undefined where the platform does not report them).
 * The fields the requirements' check reads (manifest/requirements.ts, which the compiler shares).
 */
export type DeviceCapabilities = AdapterOffer;

export function deviceCapabilities(device: GPUDevice): DeviceCapabilities {
  // adapterInfo is missing on older browsers; the subgroup sizes are newer still, the subgroup-matrix configurations Dawn's (with its feature).
  const info = (device as { adapterInfo?: GPUAdapterInfo & { subgroupMatrixConfigs?: readonly SubgroupMatrixConfig[] } }).adapterInfo;
  // The limits by the names requestMoncDevice raises (a superset of those needed), written once for every page's bundle.
  const limits = Object.fromEntries(RAISED_LIMITS.map((name) => [name, device.limits[name]])) as Record<(typeof RAISED_LIMITS)[number], number>;
  return {
    features: [...device.features],
    ...limits,
    subgroupMinSize: info?.subgroupMinSize,
    subgroupMaxSize: info?.subgroupMaxSize,
    subgroupMatrixConfigs: info?.subgroupMatrixConfigs?.map(subgroupMatrixConfigName),
  };
}

let shared: Promise<MoncDevice> | undefined;

/**
 * One device shared by every runner that was not given its own; requested on first use and
 * again after it is lost.
 */
export function getSharedDevice(): Promise<MoncDevice> {
  if (!shared) {
    const requested = findAdapter().then(deviceOf);
    shared = requested;
    const forget = () => {
      if (shared === requested) shared = undefined;
    };
    requested.then((d) => d.device.lost.then(forget), forget);
  }
  return shared;
}
