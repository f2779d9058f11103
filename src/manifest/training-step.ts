/**
 * The training-step kernels' contract: what a device-resident MSE training loop runs around a
 * map's forward and backward kernels and its optimizer update (`MapRunner.fitMse` on webgpu). A
 * module ships them once, after the optimizer updates (listed per map in
 * `ManifestMap.trainingStep`); their WGSL does not depend on a map's sizes (the step uniform
 * holds them), so one set serves every map. The runtime only dispatches them.
 *
 *   gather    xb[r, j] = X[rows[base + r], j]: the step's mini-batch of the input, on the device
 *   mse       per output element of the step: d = Y − T[row], DY = scale·d (scale = 2/(rows·m),
 *             the MSE's exact gradient, stored in the storage type), a workgroup's Σ(d/√N)² into
 *             `partials` (one per workgroup, a workgroup covering `itemsPerWorkgroup` elements),
 *             and flags for a NaN or ±Inf in Y (which make the float64 loss NaN/±Inf)
 *   check     per packed parameter element, after the optimizer update: the first non-finite
 *             gradient (atomicMin of its index), the largest finite |gradient| (atomicMax of its
 *             f32 bits) and the first parameter that is not finite or beyond `limit`
 *   finalize  one workgroup: the step's loss (Σ of the partials) and the values at the two
 *             recorded indices, into the step's stats record
 *
 * Bindings, @group(0), one layout for all four (a kernel declares only those it uses):
 *   @binding(0) a     : storage, read        (gather: X; mse: Y; check, finalize: params)
 *   @binding(1) rows  : storage, read        (u32 row indices of the steps of a submission)
 *   @binding(2) b     : storage, read        (mse: T, f32; check, finalize: the gradients)
 *   @binding(3) out   : storage, read_write  (gather: xb; mse: DY)
 *   @binding(4) partials : storage, read_write (f32, one per mse workgroup)
 *   @binding(5) stats : storage, read_write  (u32 words, STATS_WORDS per step record, atomics)
 *   @binding(6) step  : uniform, STEP_BYTES, with a dynamic offset (one record per step)
 * X, xb, Y, DY, params and gradients are in the storage type; T, partials and stats are not.
 */

/** The kernels in the order a step runs them (gather only when the step's rows are picked). */
export const TRAINING_STEP_KERNELS = ['gather', 'mse', 'check', 'finalize'] as const;
export type TrainingStepKernel = (typeof TRAINING_STEP_KERNELS)[number];

/** The entry point of a training-step kernel, in the module's WGSL and every kernel set's. */
export function trainingStepEntryPoint(kernel: TrainingStepKernel): string {
  return `monc_train_${kernel}`;
}

/**
 * Invocations of every training-step kernel's workgroup (a power of two, for the tree sums): their WGSL is written with
 * it and the runtime dispatches them by their itemsPerWorkgroup, so a manifest must declare it (decodeManifest).
 */
export const TRAINING_STEP_WORKGROUP = 64;

/**
 * Output elements per mse invocation (a workgroup apart, so a workgroup reads contiguous runs): a workgroup covers
 * its invocations times MSE_ITEMS of them (its `itemsPerWorkgroup`), which keeps the workgroups (each a tree sum with
 * its barriers) and the partials few. Every other kernel takes one item per invocation.
 */
export const MSE_ITEMS = 16;

/** Bytes of the step uniform (the fields of STEP_FIELDS, 4 bytes each); records lie STEP_STRIDE apart. */
export const STEP_BYTES = 48;
/** Distance of step records in the uniform buffer: WebGPU's default minUniformBufferOffsetAlignment. */
export const STEP_STRIDE = 256;

/**
 * The step uniform, in order: rows of the step, the widths n and m, where its row indices start
 * in `rows`, whether they are used (1) or row r is row r (0), its stats record, the packed
 * parameter count, the number of mse partials (workgroups), then f32: 2/(rows·m), 1/√(rows·m)
 * and the largest |parameter| allowed (65504 for an f16 module, else f32's largest finite value).
 */
export const STEP_FIELDS = ['rows', 'n', 'm', 'base', 'gathered', 'slot', 'paramSize', 'partials', 'scale', 'rootInv', 'limit', 'pad'] as const;

/** Words of one stats record. */
export const STATS_WORDS = 8;
/** Word offsets in a stats record. */
export const STATS = {
  /** f32 bits: the mean of (Y − T)² over the step's rows·m entries (f32 sums). */
  loss: 0,
  /** Bit 0: some Y is NaN; bit 1: some Y is ±Inf. */
  flags: 1,
  /** The first packed index whose gradient is not finite (NONE: none). */
  badGradient: 2,
  /** f32 bits of that gradient. */
  badGradientValue: 3,
  /** f32 bits of the largest finite |gradient| (0 when all are 0). */
  maxGradient: 4,
  /** The first packed index whose parameter is not finite or beyond the limit (NONE: none). */
  badParam: 5,
  /** f32 bits of that parameter. */
  badParamValue: 6,
} as const;
/** An index word holding no index. */
export const NONE = 0xffffffff;
export const FLAG_NAN = 1;
export const FLAG_INF = 2;
