/**
 * The browser-safe half of the compile driver: a `.mon` source to its WGSL and manifest (no
 * TypeScript bindings, so nothing here pulls in ts-morph). `compileModule` (compile.ts) adds the
 * bindings; the playground and other in-browser tools call this directly.
 */
import { buildManifest } from './codegen/manifest.js';
import type { Manifest, ManifestKernelSet } from './manifest/types.js';
import { featuresOfEnables, forwardStorageNeeded, largeSet, ownModuleSet, portableSet, requirementsOf, runsWherever, storageNeeded, tensorCoreSets, withinPortableLimits } from './codegen/kernel-sets.js';
import { isAmong } from './codegen/wgsl/family.js';
import { assembleModule, DEFAULT_LIMITS, emitProgramKernels, type Schedule, type TargetLimits, type TunedSchedule } from './codegen/wgsl/index.js';
import { checkSource, type CheckOptions } from './dsl/index.js';
import type { Diagnostic } from './dsl/diagnostics.js';
import type { CheckedModule, Dtype } from './dsl/structure.js';
import type { BackwardOp, BackwardProgram, Program } from './ir/ir.js';
import { compileBackward, compileMap, tryCompileMap } from './ir/pipeline.js';
import { manifestBackward, planForwardKernels } from './codegen/manifest-programs.js';
import { emitBackwardKernels, isValidBackwardSchedule } from './codegen/wgsl/backward-program.js';
import { emitOptimizerKernels, manifestOptimizers, moduleOptimizerKernels } from './codegen/wgsl/optimizer.js';
import { backwardGroup, OPTIMIZER_GROUP } from './manifest/wgsl-groups.js';
import { manifestTrainingStep, trainingStepKernels } from './codegen/wgsl/training-step.js';
import type { EmittedKernel } from './codegen/wgsl/kernel.js';
import type { StorageType } from './codegen/wgsl/scaffold.js';
import { formatJson } from './util/json.js';
import { argumentError, checkOptionFields, refuseUnknownOptions } from './util/library-arguments.js';
import { encodeManifest } from './manifest/manifest-encode.js';
import { MONC_VERSION } from './version.js';
import { MoncError } from './util/error.js';
import { unmetRequirements, type AdapterOffer } from './manifest/requirements.js';
import { invariant } from './util/assert.js';
import { kernelSetsProblem, type BuildKernelSet } from './manifest/build-kernel-sets.js';
import { UNUSABLE_TUNING_CAUSES } from './util/tuning-causes.js';

/**
 * The tuned schedule of a kernel performing `ops` (one op, or a run of consecutive ops that the
 * build then fuses into one dispatch, or one op of a backward program), with the limits of the adapter it was tuned on; the tuning
 * database keys it by the ops' structure and the dtype. Undefined means none: the ops take the
 * untuned path (default schedules, default fusion). A schedule that no longer fits is ignored.
 */
export type TuningLookup = (ops: readonly BackwardOp[], dtype: Dtype) => TunedSchedule | undefined;

export interface CompileKernelsOptions {
  /** Reads `sparse(pattern: "mask.npy")` files; without it a mask pattern is an error. */
  readonly resolveMask?: CheckOptions['resolveMask'] | undefined;
  readonly tuning?: TuningLookup | undefined;
  /**
   * Emit each map's forward kernels only: no backward, optimizer or training-step kernels. The
   * manifest then says `forwardOnly: true` (and so does each map), and a runtime asked to train
   * such a module rejects. Default false: every kernel the module may need.
   */
  readonly forwardOnly?: boolean | undefined;
  /**
   * The kernel sets each map keeps (BUILD_KERNEL_SETS names; default all): e.g. `['portable']`
   * leaves out the tensor-core and large sets (a page for any GPU, smaller), `['tuned']` a tuned
   * build's fallbacks (a known GPU class). A map left with none, or an f16 map with f32-storage
   * alone, is refused; one whose kept sets some adapter cannot run gets a note (`kernelSetNotes`).
   */
  readonly kernelSets?: readonly BuildKernelSet[] | undefined;
}

export interface KernelOutputs {
  readonly moduleName: string;
  readonly wgsl: string;
  readonly manifest: Manifest;
  /** The manifest as written to `<module>.json`. */
  readonly manifestJson: string;
  /**
   * The tuning database's schedules the build could not use: not valid for the kernel they name
   * (hand-edited, damaged, or for another family); those kernels took their default schedules.
   * Absent when there were none.
   */
  readonly unusableTuning?: readonly UnusableTuning[];
  /**
   * With `kernelSets`: per map whose kept sets no adapter within WebGPU's default limits runs,
   * what happens there (creating the map fails) and which set to keep for it. Absent: none.
   */
  readonly kernelSetNotes?: readonly string[];
}

/** A tuned schedule a build ignored: the map, its forward or backward ops, and the schedule. */
export interface UnusableTuning {
  readonly map: string;
  readonly backward: boolean;
  readonly ops: readonly number[];
  readonly schedule: Schedule;
}

/** What a compilation produced; `Outputs` grows with the driver (compileModule adds the TypeScript). */
export interface CompileKernelsResult<Outputs extends KernelOutputs = KernelOutputs> {
  readonly diagnostics: readonly Diagnostic[];
  /** Present when the source checked without errors. */
  readonly module?: CheckedModule;
  /** Present, with the outputs, when every map compiled. */
  readonly programs?: readonly Program[];
  readonly outputs?: Outputs;
}

/** The options every compile entry takes, checked where JavaScript may pass anything (`fn` names the entry). */
export const COMPILE_OPTION_FIELDS = { resolveMask: 'function', tuning: 'function', forwardOnly: 'boolean' } as const;

/** The compile options as JavaScript may pass them, checked for `fn` (compileKernels; compileModule adds its `fields`): each field's kind, kernelSets' names. */
export function checkCompileOptions(fn: string, options: unknown, fields: Parameters<typeof checkOptionFields>[2] = COMPILE_OPTION_FIELDS): void {
  checkOptionFields(fn, options, fields);
  refuseUnknownOptions(fn, options, [...Object.keys(fields), 'kernelSets']);
  const sets = (options as CompileKernelsOptions | undefined)?.kernelSets;
  const problem = sets === undefined ? undefined : kernelSetsProblem(sets);
  if (problem) throw argumentError(fn, `kernelSets must be ${problem}`, sets);
}

export function compileKernels(source: string, file: string, options: CompileKernelsOptions = {}): CompileKernelsResult {
  checkCompileOptions('compileKernels', options);
  const { module, diagnostics } = checkSource(source, file, { resolveMask: options.resolveMask });
  if (!module || diagnostics.some((d) => d.severity === 'error')) return { diagnostics };

  // What the IR cannot compile (a bare permutation term…) is reported, located, beside the checker's diagnostics.
  const compiled = module.maps.map((map) => tryCompileMap(map, module.dtype));
  const all = [...diagnostics, ...compiled.flatMap((c) => c.diagnostics)];
  const programs = compiled.flatMap((c) => (c.result === undefined ? [] : [c.result]));
  if (programs.length < compiled.length) return { diagnostics: all, module };

  const outputs = emitModule(module, programs, options);
  return { diagnostics: all, module, programs, outputs };
}

/** Options of `emitModule`. */
export interface EmitModuleOptions {
  readonly tuning?: TuningLookup;
  /** Forward kernels only (CompileKernelsOptions.forwardOnly). */
  readonly forwardOnly?: boolean;
  /** Batch rows per split of the backward programs' weight-gradient reductions (default: passes/backward.ts). */
  readonly rowsPerSplit?: number;
  /** The kernel sets each map keeps (CompileKernelsOptions.kernelSets). */
  readonly kernelSets?: readonly BuildKernelSet[];
}

/**
 * The WGSL module and manifest of a checked module whose maps compiled to `programs`: each map's
 * forward kernels, then its backward program's kernels (SPEC §7), in map order; the optimizer
 * update kernels come last, once for every map (the manifest lists them per map). Each map lists
 * its kernel sets (`kernelSets`, in the order a runtime tries them): an untuned `dtype f16` map
 * whose default kernels change on an adapter with tensor cores gets those first (`tensor-core`,
 * only the kernels that differ written, after the module's WGSL); then the module's own kernels
 * (`portable`, or `tuned` where the tuning database chose a kernel); after tuned kernels that
 * need more than every adapter has, the untuned ones (`tensor-core` where it runs somewhere the
 * tuned set does not, then `portable`, only the kernels that differ written); and a `dtype f16`
 * map last the same kernels with f32 storage (`f32-storage`, a WGSL
 * module of its own), so that a runtime on an adapter without shader-f16 runs what the build emitted.
 *
 * With `forwardOnly` every one of those sets holds forward kernels only: no backward program,
 * no backward, optimizer or training-step kernels anywhere, and the manifest and each map say
 * `forwardOnly: true` (what the runtime reads to reject training with a clear error).
 *
 * With `kernelSets` each map lists only the sets named there (the module's WGSL is the same: a
 * set left out of an untuned build's sets takes its own kernels, written after it, along).
 */
export function emitModule(module: CheckedModule, programs: readonly Program[], options: EmitModuleOptions = {}): KernelOutputs {
  const forwardOnly = options.forwardOnly === true;
  const backwardPrograms = forwardOnly ? undefined : programs.map((p) => compileBackward(p, { rowsPerSplit: options.rowsPerSplit }));
  const unusable = new Map<string, UnusableTuning>();
  const report = (u: UnusableTuning) => unusable.set(JSON.stringify([u.map, u.backward, u.ops]), u);
  const tuning = options.tuning;
  const emitted = emitMapKernels(programs, backwardPrograms, module.dtype, tuning && storageTuning(tuning, module.dtype, module.dtype), report);
  // Each map's lookup: the database's schedules, and stand-ins for the kernels it has none for.
  const lookups = emitted.map((k) => tuning && withStandIns(k, module.dtype, tuning));
  const kernels = emitted.map((k, i) => lookups[i]?.kernels ?? k);
  // The training-step kernels (fitMse's loss, gather and checks) travel with the optimizer updates into every kernel set.
  const optimizers = forwardOnly ? [] : [...moduleOptimizerKernels(module.dtype), ...trainingStepKernels(module.dtype)];
  const groups = new Map<string, readonly EmittedKernel[]>();
  for (const k of kernels) {
    groups.set(k.program.name, k.forward);
    if (!forwardOnly) groups.set(backwardGroup(k.program.name), k.backward);
  }
  if (!forwardOnly) groups.set(OPTIMIZER_GROUP, optimizers);
  const { wgsl, enables } = assembleModule(groups);
  const kernelsByMap = new Map(kernels.map((k) => [k.program.name, k.forward]));
  const backwardSections = new Map(kernels.flatMap((k) => (k.backwardProgram ? [[k.program.name, manifestBackward(k.backwardProgram, k.backward)] as const] : [])));
  const built = buildManifest(module, programs, kernelsByMap, `${module.name}.wgsl`, MONC_VERSION, backwardSections);
  const manifest = forwardOnly ? built : withOptimizers(built, programs);
  const storageSets = module.dtype === 'f16' ? f32StorageSets(programs, backwardPrograms, options.tuning, forwardOnly) : undefined;
  // Every set is made, then those left out are dropped: the messages below name the map's sets.
  const all = kernels.map((k, i) => mapKernelSets(k, module.dtype, optimizers, enables, lookups[i]?.tuning ?? tuning, storageSets?.get(k.program.name)));
  const sets = new Map(kernels.map((k, i) => [k.program.name, keptSets(`${module.file}: map '${k.program.name}'`, module.dtype, all[i], options.kernelSets)]));
  const notes = options.kernelSets ? kernels.flatMap((k, i) => keptSetsNote(k.program.name, all[i], sets.get(k.program.name)!)) : [];
  const marked = forwardOnly ? { forwardOnly: true as const } : {};
  const withSets: Manifest = { ...manifest, ...marked, maps: manifest.maps.map((map) => ({ ...map, ...marked, kernelSets: sets.get(map.name)! })) };
  return {
    moduleName: module.name,
    wgsl,
    manifest: withSets,
    manifestJson: `${formatJson(encodeManifest(withSets))}\n`,
    ...(unusable.size > 0 ? { unusableTuning: [...unusable.values()] } : {}),
    ...(notes.length > 0 ? { kernelSetNotes: notes } : {}),
  };
}

/**
 * The sets of a map that `kept` names (all without it). None kept, or an f16 map's f32-storage set
 * alone (its f16 kernels and parameters gone, a runtime would take the module for an f32 one), is
 * a user error naming the spec file and the map (`where`), worded for the command line and the
 * option alike (QA2 s14 R32, QA s14 Q32).
 */
function keptSets(where: string, dtype: Dtype, sets: readonly ManifestKernelSet[], kept: readonly BuildKernelSet[] | undefined): ManifestKernelSet[] {
  if (!kept) return [...sets];
  const left = sets.filter((s) => kept.includes(s.name as BuildKernelSet));
  const names = (list: readonly ManifestKernelSet[]) => list.map((s) => s.name).join(', ');
  if (left.length === 0) throw new MoncError('user', `${where}: its kernel sets are ${names(sets)}, and none of them is among the sets kept (${kept.join(', ')}); keep one of its sets`);
  if (dtype === 'f16' && left.every((s) => s.storage === 'f32')) {
    throw new MoncError('user', `${where}: of a dtype f16 module's kernel sets only f32-storage is kept; keep one of its f16 sets too (${names(sets.filter((s) => s.storage === 'f16'))}), or declare dtype f32`);
  }
  return left;
}

/** WebGPU's default limits and no feature: what every adapter offers. */
const ANY_ADAPTER = { features: [], maxComputeInvocationsPerWorkgroup: DEFAULT_LIMITS.maxWorkgroupSize, maxComputeWorkgroupSizeX: DEFAULT_LIMITS.maxWorkgroupSize, maxComputeWorkgroupStorageSize: DEFAULT_LIMITS.maxWorkgroupStorageBytes };

/**
 * What happens to a map whose kept sets leave out every set an adapter with WebGPU's defaults
 * runs (it had one: the portable set of an f32 map, an f16 map's f32-storage set): there the
 * runtime's set choice (runtime/kernel-sets.ts chooseKernelSet) fails. Empty when a kept set runs everywhere.
 */
function keptSetsNote(map: string, all: readonly ManifestKernelSet[], kept: readonly ManifestKernelSet[]): string[] {
  const everywhere = (s: ManifestKernelSet) => unmetRequirements(s.requires, ANY_ADAPTER).length === 0;
  if (kept.some(everywhere)) return [];
  const needs = kept.map((s) => `${s.name} needs ${unmetRequirements(s.requires, ANY_ADAPTER).join(', ')}`).join('; ');
  const instead = all.filter(everywhere).map((s) => s.name);
  return [
    `map '${map}': no kernel set kept runs on every adapter (${needs}): on an adapter without that, creating the map fails with a device error ('no kernel set of the build runs on this adapter')${instead.length > 0 ? `; keep ${instead.join(' or ')} too for those` : ''}`,
  ];
}

/**
 * A map's kernel sets in the order a runtime tries them: the tensor-core set (an untuned f16
 * map; then its 512-invocation twin where it needs 1024) or the large set (an untuned f32 map),
 * where it differs, the module's own kernels (`tuned`
 * when the database chose one of them, requiring what the tuned kernels need; else `portable`),
 * the portable set where the module's kernels need more than the portable limits or a feature
 * (kernel-sets.ts portableSet), then the f32-storage set if any. In a tuned map the tuned set
 * comes first (the measured best of the adapter it was tuned on), then the tensor-core or large
 * set where some adapter runs it but not the tuned one (a build tuned on a desktop GPU, run on an
 * H200), then the portable set.
 */
function mapKernelSets(
  k: MapKernels,
  dtype: Dtype,
  optimizers: readonly EmittedKernel[],
  moduleEnables: readonly string[],
  tuning: TuningLookup | undefined,
  f32Storage: ManifestKernelSet | undefined,
): ManifestKernelSet[] {
  const tuned = tunedStorage(k, dtype, tuning);
  const own: ManifestKernelSet = {
    name: tuned.length > 0 ? 'tuned' : 'portable',
    storage: dtype,
    // The module's WGSL compiles only with the features its `enable`s name (another map's tuned kernels may add some).
    requires: requirementsOf([...k.forward, ...k.backward, ...optimizers], Math.max(DEFAULT_LIMITS.maxWorkgroupStorageBytes, ...tuned), featuresOfEnables(moduleEnables)),
  };
  // The untuned kernels for a larger adapter: tensor cores (f16; with fewer invocations next where they need 1024), or the H200's workgroup limits (f32).
  const larger = dtype === 'f16' ? tensorCoreSets({ ...k, optimizers }, moduleEnables, tuned.length > 0) : [largeSet({ ...k, optimizers }, moduleEnables, tuned.length > 0)].filter((s) => s !== undefined);
  const portable = portableSet({ ...k, optimizers }, dtype, own.requires, moduleEnables);
  if (tuned.length > 0) {
    // Tuned first where it fits; else the best untuned set: tensor-core or large, unless every adapter that runs it runs the tuned set.
    const fallback = larger.filter((set) => !runsWherever(own.requires, set.requires));
    return [own, ...fallback, ...(portable ? [portable] : []), ...(f32Storage ? [f32Storage] : [])];
  }
  // A map without tuned kernels in a module that needs a feature: its portable set (a module of its own) replaces the module's kernels.
  return [...larger, ...(portable ? [portable] : [own]), ...(f32Storage ? [f32Storage] : [])];
}

/**
 * The kernel sets an untuned forward-only build gives `program` alone, in the order a runtime
 * tries them (mapKernelSets), each listing its forward kernels (the module's own set too): what
 * the tuner takes as the untuned build's kernels on the adapter it tunes on (tuner/untuned-kernels.ts).
 * A full build chooses the same set: its backward kernels are portable in every set. With
 * another `storage` than the program's dtype (an f16 map's f32 kernels), the one set of that
 * storage, a module of its own on the portable limits (as f32StorageSets makes it).
 */
export function untunedForwardSets(program: Program, storage: StorageType = program.dtype): ManifestKernelSet[] {
  const [k] = emitMapKernels([program], undefined, storage, undefined);
  if (storage !== program.dtype) return [ownModuleSet(storage === 'f32' ? 'f32-storage' : 'portable', storage, { ...k, optimizers: [] })];
  const { enables } = assembleModule(new Map([[program.name, k.forward]]));
  const own = planForwardKernels(program.ops, k.forward);
  return mapKernelSets(k, storage, [], enables, undefined, undefined).map((s) => (s.kernels ? s : { ...s, kernels: own }));
}

/** One map's kernels in one storage type: its forward kernels, then its backward program's (none in a forward-only build). */
interface MapKernels {
  readonly program: Program;
  /** Undefined in a forward-only build (`backward` is then empty). */
  readonly backwardProgram: BackwardProgram | undefined;
  readonly forward: readonly EmittedKernel[];
  readonly backward: readonly EmittedKernel[];
}

/** Each map's forward and backward kernels (none without `backwardPrograms`) with `storage`, each kernel on its tuned schedule where `tuning` has one. */
function emitMapKernels(
  programs: readonly Program[],
  backwardPrograms: readonly BackwardProgram[] | undefined,
  storage: StorageType,
  tuning: ((ops: readonly BackwardOp[]) => TunedSchedule | undefined) | undefined,
  onUnusable?: (u: UnusableTuning) => void,
): MapKernels[] {
  return programs.map((program, i) => {
    const backwardProgram = backwardPrograms?.[i];
    const map = program.name;
    return {
      program,
      backwardProgram,
      forward: emitProgramKernels(program, {
        storage,
        schedules: tuning && ((ops) => tuning(ops.map((j) => program.ops[j]))),
        ...(onUnusable ? { onUnusable: (ops: readonly number[], schedule: Schedule) => onUnusable({ map, backward: false, ops, schedule }) } : {}),
      }),
      backward: backwardProgram
        ? emitBackwardKernels(backwardProgram, {
            storage,
            schedules: tuning && ((j) => tuning([backwardProgram.ops[j]])),
            ...(onUnusable ? { onUnusable: (j: number, schedule: Schedule) => onUnusable({ map, backward: true, ops: [j], schedule }) } : {}),
          })
        : [],
    };
  });
}

/**
 * A tuned map's forward kernels the database chose nothing for (no entry, or one this monc cannot
 * use: a form a later version removed), on the schedule an untuned build runs on the adapter the
 * database was tuned on (runtime/kernel-sets.ts chooseKernelSet over untunedForwardSets, the rule
 * the tuner times its default by): the tensor-core set's kernel where the tuned kernels run on
 * subgroup matrices, the large set's where they need more than the portable limits. Otherwise the
 * portable default sat in the set that adapter takes first, slower than an untuned build (QA2 s18
 * R74: ks-dvec for an H100's strided f16 factor, 0.49 ms; the tensor-core set's kernel, 0.24). A
 * tuned set within the portable limits runs everywhere and stays so; a kernel whose ops that set
 * partitions otherwise (another fused run) keeps the portable default. Returns the map's kernels
 * and its lookup with the stand-ins as tuned schedules (the tuned set requires what they need), or
 * undefined where nothing changes.
 */
function withStandIns(k: MapKernels, dtype: Dtype, tuning: TuningLookup): { kernels: MapKernels; tuning: TuningLookup } | undefined {
  const { program } = k;
  const kernelOps = (kernel: EmittedKernel, backward: boolean): BackwardOp[] => kernel.ops.map((j) => (backward ? k.backwardProgram!.ops[j] : program.ops[j]));
  // The limits of the adapter tuned on (a lookup gives one adapter's entries: tuner/lookup.ts).
  const tunedOn = [...k.forward.map((kernel) => kernelOps(kernel, false)), ...k.backward.map((kernel) => kernelOps(kernel, true))]
    .map((ops) => tuning(ops, dtype)?.limits)
    .find((limits) => limits !== undefined);
  const tuned = tunedStorage(k, dtype, tuning);
  const needs = requirementsOf([...k.forward, ...k.backward], Math.max(DEFAULT_LIMITS.maxWorkgroupStorageBytes, ...tuned));
  if (!tunedOn || tuned.length === 0 || withinPortableLimits(needs, dtype)) return undefined;
  // The adapter tuned on, with what the tuned kernels assume of it (a lookup's limits may say less: never less than the
  // portable set needs, so some set is chosen); its subgroup-matrix configurations are not recorded.
  const invocations = Math.max(tunedOn.maxWorkgroupSize, needs.maxComputeInvocationsPerWorkgroup, DEFAULT_LIMITS.maxWorkgroupSize);
  const offer: AdapterOffer = {
    features: [...new Set([...tunedOn.features, ...needs.features])],
    maxComputeInvocationsPerWorkgroup: invocations,
    maxComputeWorkgroupSizeX: invocations,
    maxComputeWorkgroupStorageSize: Math.max(tunedOn.maxWorkgroupStorageBytes, needs.maxComputeWorkgroupStorageSize),
    ...(needs.subgroupSize === undefined ? {} : { subgroupMinSize: needs.subgroupSize, subgroupMaxSize: needs.subgroupSize }),
  };
  // The runtime's rule (runtime/kernel-sets.ts chooseKernelSet: the first set whose requirements the adapter meets), read
  // here through manifest/requirements.ts alone: monc/compiler's browser bundle carries none of the runtime.
  const set = untunedForwardSets(program).find((s) => unmetRequirements(s.requires, offer).length === 0);
  if (!set) return undefined;
  const key = (ops: readonly number[]) => ops.join(',');
  const untuned = new Map(k.forward.filter((kernel) => !tunedKernel(kernelOps(kernel, false), kernel, dtype, tuning)).map((kernel) => [key(kernel.ops), kernel.schedule]));
  // That set's kernels over the same ops as an untuned one here, on another schedule.
  const standIns = new Map(
    set.kernels!.flatMap((s) => {
      const here = untuned.get(key(s.ops));
      return here && !isAmong(s.schedule, [here]) ? [[key(s.ops), s.schedule] as const] : [];
    }),
  );
  if (standIns.size === 0) return undefined;
  // The lookup answers ops by identity; this map's forward ops by their index.
  const index = new Map(program.ops.map((op, j) => [op as BackwardOp, j]));
  const lookup: TuningLookup = (ops, dtype) => {
    const schedule = standIns.get(key(ops.map((op) => index.get(op) ?? -1)));
    return schedule ? { schedule, limits: tunedOn } : tuning(ops, dtype);
  };
  const [kernels] = emitMapKernels([program], k.backwardProgram && [k.backwardProgram], dtype, (ops) => lookup(ops, dtype));
  const partition = (list: readonly EmittedKernel[]) => list.map((kernel) => key(kernel.ops)).join(' ');
  invariant(partition(kernels.forward) === partition(k.forward), `map ${program.name}: the stand-in schedules changed its kernels' ops`);
  return { kernels, tuning: lookup };
}

/** Whether `kernel`, performing `ops`, is on the schedule the database gives them. */
function tunedKernel(ops: readonly BackwardOp[], kernel: EmittedKernel, dtype: Dtype, tuning: TuningLookup): boolean {
  const t = tuning(ops, dtype);
  return t !== undefined && isAmong(kernel.schedule, [t.schedule]);
}

/**
 * The workgroup storage each of a map's kernels that came from the tuning database needs (a
 * kernel whose ops the database has, on the schedule it gives): kernel-sets.ts storageNeeded.
 * Empty: every kernel is an untuned default.
 */
function tunedStorage(k: MapKernels, dtype: Dtype, tuning: TuningLookup | undefined): number[] {
  if (!tuning) return [];
  const needed = (ops: readonly BackwardOp[], kernel: EmittedKernel, storage: (tunedOn: TargetLimits) => number): number[] =>
    tunedKernel(ops, kernel, dtype, tuning) ? [storage(tuning(ops, dtype)!.limits ?? DEFAULT_LIMITS)] : [];
  const { program } = k;
  const backwardOps = k.backwardProgram?.ops ?? [];
  return [
    ...k.forward.flatMap((kernel) => needed(kernel.ops.map((j) => program.ops[j]), kernel, (tunedOn) => forwardStorageNeeded(program, kernel, tunedOn))),
    ...k.backward.flatMap((kernel) => {
      const op = backwardOps[kernel.ops[0]];
      return needed([op], kernel, (tunedOn) => storageNeeded((limits) => isValidBackwardSchedule(op, kernel.schedule, limits), tunedOn));
    }),
  ];
}

/**
 * The tuning database's schedules for a `dtype` module's kernels emitted with `storage`: the
 * module's own. With f32 storage for an f16 module (the f32-storage set) they must fit any
 * adapter: an f16 module is tuned on an adapter with shader-f16, and its f32-storage set runs on
 * others, whose limits and features the build cannot know. So a tuned schedule is kept only
 * where it fits the portable limits (no shader-f16, no subgroups, 256 invocations, 16 KiB of
 * workgroup memory); otherwise the ops take the untuned path.
 */
function storageTuning(tuning: TuningLookup, dtype: Dtype, storage: StorageType): (ops: readonly BackwardOp[]) => TunedSchedule | undefined {
  return (ops) => {
    const tuned = tuning(ops, dtype);
    return tuned && storage !== dtype ? { ...tuned, limits: DEFAULT_LIMITS } : tuned;
  };
}

/**
 * An f16 module's `f32-storage` kernel set per map: its kernels emitted as an f32 build would
 * emit them, in a WGSL module of their own (forward, backward, the f32 optimizer updates; the
 * forward kernels alone in a forward-only build).
 */
function f32StorageSets(
  programs: readonly Program[],
  backwardPrograms: readonly BackwardProgram[] | undefined,
  tuning: TuningLookup | undefined,
  forwardOnly: boolean,
): Map<string, ManifestKernelSet> {
  const optimizers = forwardOnly ? [] : [...moduleOptimizerKernels('f32'), ...trainingStepKernels('f32')];
  return new Map(
    emitMapKernels(programs, backwardPrograms, 'f32', tuning && storageTuning(tuning, 'f16', 'f32')).map((k): [string, ManifestKernelSet] => [
      k.program.name,
      ownModuleSet('f32-storage', 'f32', { ...k, optimizers }),
    ]),
  );
}

/** The manifest with each map's optimizer update kernels (`optimizers`), dispatched over its packed parameters, and its training-step kernels. */
function withOptimizers(manifest: Manifest, programs: readonly Program[]): Manifest {
  const trainingStep = manifestTrainingStep(trainingStepKernels(manifest.dtype));
  return { ...manifest, maps: manifest.maps.map((map, i) => ({ ...map, optimizers: manifestOptimizers(emitOptimizerKernels(programs[i].paramSize, manifest.dtype)), trainingStep })) };
}

/** A checked module all of whose maps compile (tests, tools): `emitModule` over `compileMap`. */
export function compileKernelsOfModule(module: CheckedModule, options: EmitModuleOptions = {}): KernelOutputs {
  return emitModule(module, module.maps.map((m) => compileMap(m, module.dtype)), options);
}

/**
 * The database's schedules a build ignored (not valid for the kernels they name): one line, those kernels took their
 * default schedules, and why that may be.
 */
export function unusableTuningNote(db: string, file: string, unusable: readonly UnusableTuning[]): string {
  const first = unusable[0];
  const where = `map '${first.map}'${first.backward ? ' (backward)' : ''} ops [${first.ops.join(', ')}]: ${JSON.stringify(first.schedule)}`;
  const more = unusable.length > 1 ? ` and ${unusable.length - 1} more` : '';
  return `${db}: ${unusable.length} schedule${unusable.length === 1 ? ' is' : 's are'} not valid for the kernel${unusable.length === 1 ? '' : 's'} of ${file} ${unusable.length === 1 ? 'it names' : 'they name'} (${where}${more}): ${unusable.length === 1 ? 'that kernel takes its' : 'those kernels take their'} default schedule${unusable.length === 1 ? '' : 's'} (${UNUSABLE_TUNING_CAUSES}: re-run monc tune)`;
}
