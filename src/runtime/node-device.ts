/**
 * Node only: WebGPU through Dawn (npm `webgpu`). Importing this module installs the WebGPU
 * globals (GPUBufferUsage…) and registers Dawn as the adapter provider of device.ts.
 *
 * On Linux monc chooses the Vulkan drivers (VK_ICD_FILENAMES, only when the user left it unset or empty;
 * see vulkanPlan): the hardware ICDs first, then SwiftShader (a CPU Vulkan Debian's chromium
 * package ships with an ICD file), and lavapipe only last, since Dawn prints a warning for a
 * lavapipe too old for it.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isMainThread, Worker } from 'node:worker_threads';
import { create, globals } from 'webgpu';
import { registerGpuProvider, type GpuProvider } from './device.js';

/**
 * The Dawn instance's toggles. Dawn rounds timestamps (a browser anti-fingerprinting measure)
 * unless told not to; monc tune and monc bench time kernels of a few microseconds with them.
 * `allow_unsafe_apis` exposes `chromium-experimental-subgroup-matrix` (tensor cores) where the
 * driver has it, and `vulkan_enable_f16_on_nvidia` lets Dawn offer `shader-f16` on NVIDIA's
 * Vulkan driver (off by default there); both only add features an adapter reports, and
 * device.ts enables a feature only when the adapter has it.
 */
export const DAWN_TOGGLES: readonly string[] = ['enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia', 'disable-dawn-features=timestamp_quantization'];

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const SWIFTSHADER_NOTE = "using SwiftShader (CPU) via Debian's chromium ICD";

Object.assign(globalThis, globals);

/**
 * Each adapter keeps its Dawn instance reachable, and each device its adapter, whoever requested them (QA2 s30 Q954):
 * dawn.node ties a device's life to its instance's JavaScript object, which the device does not hold. A user's own
 * instance (`const gpu = create([])` in a module's top level, used once for `requestAdapter`) is garbage once the code no
 * longer reads it; collected, it took its devices down while `MapRunner.create(…, { device })` or a fit used them (exit
 * 134, 139 or a hang in 10 of 10 runs). The prototypes of the `webgpu` package are patched once (per copy of it); the
 * entries go with the device.
 */
const KEEPS_OWNERS = Symbol.for('monc.webgpu.keepsOwners');
const owners = new WeakMap<object, object>();
function keepOwners(): void {
  const { GPU: Instance, GPUAdapter: Adapter } = globals as unknown as { GPU: { prototype: GPU }; GPUAdapter: { prototype: GPUAdapter } };
  const patched = Instance.prototype as GPU & { [KEEPS_OWNERS]?: true };
  if (patched[KEEPS_OWNERS]) return;
  patched[KEEPS_OWNERS] = true;
  const { requestAdapter } = Instance.prototype;
  Instance.prototype.requestAdapter = async function (this: GPU, ...args: Parameters<GPU['requestAdapter']>) {
    const adapter = await requestAdapter.apply(this, args);
    if (adapter) owners.set(adapter, this);
    return adapter;
  };
  const { requestDevice } = Adapter.prototype;
  Adapter.prototype.requestDevice = async function (this: GPUAdapter, ...args: Parameters<GPUAdapter['requestDevice']>) {
    const device = await requestDevice.apply(this, args);
    owners.set(device, this);
    return device;
  };
}
keepOwners();

/**
 * Dawn instances in use. They must stay reachable: a collected instance takes its adapters and
 * devices down with it.
 */
const instances: GPU[] = [];
let working: { gpu: GPU; note?: string } | undefined;
/** What chooseDriversAtLoad gave VK_ICD_FILENAMES: monc's choice, not the user's (requestAdapter makes its own plan). */
let setAtLoad: string | undefined;

/** What the machine offers, for the choice of Vulkan drivers. */
export interface VulkanEnvironment {
  readonly platform: string;
  /** The user's own choice of drivers: VK_DRIVER_FILES, VK_ICD_FILENAMES or VK_ADD_DRIVER_FILES as set (undefined: none set, or set empty). */
  readonly icdFilenames: string | undefined;
  /**
   * Whether the loader finds a driver with the user's variables (true when none is set): one they
   * name is an ICD file or a folder with one, or they only add to system ICDs. When not, Dawn
   * would print the loader's "Found no drivers!" and a source line.
   */
  readonly userIcdsFound: boolean;
  /** The system's ICD files (the JSON manifests in the Vulkan loader's directories, vulkanIcdDirs). */
  readonly systemIcds: readonly string[];
  readonly swiftShaderInstalled: boolean;
}

/** CPU rasterizers among the system ICDs: Mesa's lavapipe (older ones lack what Dawn requires). */
const SOFTWARE_ICD = /(^|\/)(lvp_icd|lavapipe)[^/]*\.json$/i;

/**
 * The VK_ICD_FILENAMES values to try in turn (undefined: unset, every system ICD). The user's
 * own setting, and other platforms, are left alone. Otherwise the hardware ICDs come first
 * without lavapipe: Dawn enumerates every ICD it is given and prints "Vulkan
 * shaderUniform*ArrayDynamicIndexing required" on stderr (natively, beyond monc's reach) for a
 * lavapipe it rejects, so lavapipe is only ever tried last. SwiftShader (Debian's chromium
 * ICD) is the fallback, or the first choice when there is no hardware ICD. With no ICD at all
 * the plan is empty: no Dawn instance is created, since the Vulkan loader and Dawn would print
 * "Found no drivers!" and a source location on stderr before monc's own one-line note.
 */
export function vulkanPlan(env: VulkanEnvironment): readonly (string | undefined)[] {
  if (env.platform !== 'linux') return [undefined];
  // The user's own drivers, used as they are; none at all when every file named is missing (QA s12 Q1).
  if (env.icdFilenames !== undefined) return env.userIcdsFound ? [undefined] : [];
  const hardware = env.systemIcds.filter((f) => !SOFTWARE_ICD.test(f));
  const software = env.systemIcds.length > hardware.length;
  return [...(hardware.length > 0 ? [hardware.join(':')] : []), ...(env.swiftShaderInstalled ? [SWIFTSHADER_ICD] : []), ...(software ? [undefined] : [])];
}

/**
 * Where the Vulkan loader looks for ICD files on Linux (its "Driver Discovery": the XDG config
 * and data directories, /etc and /usr/local/etc, each with vulkan/icd.d), so that an empty
 * search here means the loader finds no driver either.
 */
export function vulkanIcdDirs(env: Readonly<Record<string, string | undefined>>, home: string): string[] {
  const list = (value: string | undefined, fallback: string): string[] => (value || fallback).split(':').filter((d) => d !== '');
  const bases = [
    ...list(env.XDG_CONFIG_HOME, join(home, '.config')),
    ...list(env.XDG_CONFIG_DIRS, '/etc/xdg'),
    '/usr/local/etc',
    '/etc',
    ...list(env.XDG_DATA_HOME, join(home, '.local/share')),
    ...list(env.XDG_DATA_DIRS, '/usr/local/share:/usr/share'),
  ];
  return [...new Set(bases.map((b) => join(b, 'vulkan/icd.d')))];
}

/** The variables that choose the Vulkan loader's drivers. */
const DRIVER_VARIABLES = ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES', 'VK_ADD_DRIVER_FILES'] as const;

/**
 * The machine's drivers as `env` (process.env) and its files show them. An empty variable counts as
 * unset (`VK_ICD_FILENAMES= node …` clears it for one command; useIcds removes it before Dawn
 * starts), and a path counts as a driver only if it is an ICD file or a folder holding one, as
 * the loader takes it (QA2 s22 Q153: an empty value, /tmp or /etc/hostname started Dawn, which
 * printed "Found no drivers!" and a source line).
 */
export function vulkanEnvironment(env: Readonly<Record<string, string | undefined>>, home: string, platform: string = process.platform): VulkanEnvironment {
  const [driverFiles, icdFilenames, adding] = DRIVER_VARIABLES.map((v) => env[v] || undefined);
  const systemIcds = vulkanIcdDirs(env, home).flatMap((dir) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)) : []));
  // VK_DRIVER_FILES (or, unset, VK_ICD_FILENAMES) replaces the system's drivers; VK_ADD_DRIVER_FILES adds to them, and
  // only where neither is set: beside one, the loader ignores it (QA2 s26 Q552: a usable ICD there beside
  // VK_ICD_FILENAMES=/etc/hostname started Dawn, which printed "Found no drivers!" and a source line).
  const replacing = driverFiles ?? icdFilenames;
  const named = (replacing ?? adding ?? '').split(':').filter((f) => f !== '');
  return {
    platform,
    icdFilenames: replacing ?? adding,
    userIcdsFound: named.some(holdsIcd) || (replacing === undefined && (adding === undefined || systemIcds.length > 0)),
    systemIcds,
    swiftShaderInstalled: existsSync(SWIFTSHADER_ICD),
  };
}

/**
 * Whether `path` is a Vulkan ICD file (JSON with an `ICD` object) or a folder with one, as the loader's variables may
 * name. The loader skips an ICD whose library it cannot load: a `library_path` with a '/' must exist (relative to the
 * file); a bare name is the dynamic linker's to find (QA2 s22 Q153: /nonexistent/libvk.so started Dawn, which printed
 * "cannot open shared object file" and "Found no drivers!").
 */
export function holdsIcd(path: string): boolean {
  try {
    if (statSync(path).isDirectory()) return readdirSync(path).some((f) => f.endsWith('.json') && holdsIcd(join(path, f)));
    const library = (JSON.parse(readFileSync(path, 'utf8')) as { ICD?: { library_path?: unknown } } | null)?.ICD?.library_path;
    return typeof library === 'string' && (!library.includes('/') || existsSync(resolve(dirname(path), library)));
  } catch {
    return false;
  }
}

/** Points the Vulkan loader at `icds` (undefined: back to every system ICD); returns the note to show. */
function useIcds(icds: string | undefined, userChoice: boolean): string | undefined {
  // Empty ones count as unset (vulkanEnvironment), also beside the user's own choice (REV s22 1: VK_DRIVER_FILES= with
  // VK_ICD_FILENAMES set); the loader would take an empty VK_DRIVER_FILES as no driver at all.
  for (const v of DRIVER_VARIABLES) if (process.env[v] === '') delete process.env[v];
  if (userChoice) return undefined;
  if (icds === undefined) delete process.env.VK_ICD_FILENAMES;
  else process.env.VK_ICD_FILENAMES = icds;
  return icds === SWIFTSHADER_ICD ? SWIFTSHADER_NOTE : undefined;
}

/**
 * The XDG_RUNTIME_DIR Dawn gets where none is set (Linux: its Vulkan backend complains on stderr without one): one
 * directory per user under `tmp`, `monc-xdg-<uid>`, made once with mode 0700 and reused, as the XDG spec asks of a
 * runtime directory (the user's own, private). Each process made one of its own and left it (QA2 s26 Q554: thousands
 * in /tmp, one per GPU process). Where that name holds anything else (another user's, a link, a file, a directory
 * others may enter), this process makes a private one and removes it at exit.
 */
export function xdgRuntimeDir(tmp: string, uid: number): string {
  const shared = join(tmp, `monc-xdg-${uid}`);
  try {
    mkdirSync(shared, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const found = lstatSync(shared);
  if (found.isDirectory() && found.uid === uid && (found.mode & 0o777) === 0o700) return shared;
  const own = mkdtempSync(join(tmp, 'monc-xdg-'));
  process.on('exit', () => rmSync(own, { recursive: true, force: true }));
  return own;
}

function newInstance(): GPU {
  if (process.platform === 'linux' && !process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = xdgRuntimeDir(tmpdir(), process.getuid!());
  const gpu = create([...DAWN_TOGGLES]);
  instances.push(gpu);
  return gpu;
}

/** The devices monc requested through Dawn and that are not destroyed yet. */
const liveDevices = new Set<GPUDevice>();
let destroysAtExit = false;

/**
 * Destroys `device` when the process exits, if it is still alive then. Dawn tears itself down at
 * exit; with a device's work still in flight (a caller's encodeForward submitted, then
 * `process.exit()` or an uncaught exception) that crashed Node with a segmentation fault in about
 * two runs of three on SwiftShader. Destroying the device first ends its work cleanly.
 */
function destroyAtExit(device: GPUDevice): void {
  liveDevices.add(device);
  void device.lost.then(() => liveDevices.delete(device));
  if (destroysAtExit) return;
  destroysAtExit = true;
  process.on('exit', () => {
    for (const d of liveDevices) d.destroy();
  });
}

/** What a worker thread that found no adapter cannot do itself, and what the user can (install.md). */
export const WORKER_DRIVER_NOTE =
  "in a worker thread monc's choice of Vulkan driver does not reach the Vulkan loader, which reads the process's environment, not the thread's copy: set VK_ICD_FILENAMES before Node starts, start the worker with env: SHARE_ENV, or import monc/runtime/node (or create a runner) in the main thread first";

export const dawnProvider: GpuProvider = {
  deviceCreated: destroyAtExit,
  async requestAdapter(options) {
    if (working) return { adapter: await working.gpu.requestAdapter(options), ...(working.note ? { note: working.note } : {}) };
    const ownChoice = setAtLoad !== undefined && process.env.VK_ICD_FILENAMES === setAtLoad;
    const env = vulkanEnvironment(ownChoice ? { ...process.env, VK_ICD_FILENAMES: undefined } : process.env, homedir());
    const userChoice = env.icdFilenames !== undefined || env.platform !== 'linux';
    let note: string | undefined;
    let gpu: GPU | undefined;
    let adapter: GPUAdapter | null = null;
    const plan = vulkanPlan(env);
    if (plan.length === 0) {
      const note =
        env.icdFilenames !== undefined
          ? `no Vulkan driver: VK_DRIVER_FILES, VK_ICD_FILENAMES or VK_ADD_DRIVER_FILES name no usable ICD file (one whose library exists) or folder holding one (${env.icdFilenames})`
          : 'no Vulkan driver is installed (no ICD file where the Vulkan loader looks; SwiftShader from the chromium package is a CPU one)';
      return { adapter: null, note };
    }
    for (const icds of plan) {
      note = useIcds(icds, userChoice);
      gpu = newInstance();
      adapter = await gpu.requestAdapter(options);
      if (adapter) break;
    }
    if (!adapter) {
      // A worker thread's process.env is its own copy, which the Vulkan loader never reads: the driver chosen above did not
      // reach it (QA2 s30 Q956: SwiftShader in the main thread, no adapter in a worker started first).
      const note = isMainThread || userChoice ? 'no usable Vulkan/Metal/D3D12 driver; on Linux, SwiftShader from the chromium package works' : WORKER_DRIVER_NOTE;
      return { adapter: null, note: `Dawn found no adapter (${note})` };
    }
    working = { gpu: gpu!, ...(note ? { note } : {}) };
    return { adapter, ...(note ? { note } : {}) };
  },
};

registerGpuProvider(dawnProvider);

/**
 * The drivers monc tries first, given to the Vulkan loader as this module loads (Linux, where the user set none), so
 * that a Dawn instance of the user's own (`create([])` of the webgpu package, then requestAdapter(): runtime.md's
 * create({ device })) finds what monc's does. With SwiftShader the only driver, which the loader does not find unaided,
 * it found none until monc's first adapter request (QA2 s31 Q1053). monc's requests still go through the whole plan.
 */
function chooseDriversAtLoad(): void {
  const env = vulkanEnvironment(process.env, homedir());
  const plan = vulkanPlan(env);
  const userChoice = env.icdFilenames !== undefined || env.platform !== 'linux';
  if (plan.length === 0) return;
  useIcds(plan[0], userChoice);
  if (!userChoice) setAtLoad = plan[0];
}
chooseDriversAtLoad();

/**
 * A thread running `code` (CommonJS), for the result arrays made ahead (prefaulted-arrays.ts,
 * node-prefault.ts): here, with the runtime's other Node built-ins, so that the runtime's own
 * files import none. No flags of the process (execArgv): with --input-type=module its code would
 * be an ES module, without `require`.
 */
export function startWorker(code: string): Worker {
  return new Worker(code, { eval: true, execArgv: [] });
}
