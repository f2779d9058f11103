/**
 * The training-step kernels of a device-resident MSE loop (contract: src/manifest/training-step.ts):
 * the mini-batch gather, the loss and its output gradient, the per-step check and its one-workgroup
 * finalize. The build ships them in the module after the optimizer updates (one set serves every
 * map: their WGSL reads every size from the step uniform); the runtime only dispatches them.
 *
 * Sums are f32: each mse invocation adds its MSE_ITEMS terms in turn, each workgroup sums its
 * invocations' as a tree, and finalize sums the workgroups' partials (a strided loop of
 * ceil(partials / WG) terms per invocation, then a tree): the loss's relative error stays near
 * MSE_ITEMS + 2·log2(WG) + partials/WG f32 roundings (about 1e-6 for a million terms). Non-finite values are
 * found from their exponent bits, not by comparisons, which a compiler may assume never see NaN.
 */
import { FLAG_INF, FLAG_NAN, MSE_ITEMS, NONE, STATS, STATS_WORDS, STEP_BYTES, STEP_FIELDS, TRAINING_STEP_KERNELS, TRAINING_STEP_WORKGROUP, trainingStepEntryPoint, type TrainingStepKernel } from '../../manifest/training-step.js';
import type { ManifestTrainingStep } from '../../manifest/types.js';
import { assertNever, invariant } from '../../util/assert.js';
import { defaultWorkgroupSize } from './family.js';
import { DEFAULT_LIMITS, type EmittedKernel } from './kernel.js';
import type { StorageType } from './scaffold.js';

/**
 * Every kernel's workgroup size (the contract's): the optimizer updates' (so they never raise what a kernel set
 * requires), a power of two for the tree sums.
 */
const WG = TRAINING_STEP_WORKGROUP;
invariant(WG === defaultWorkgroupSize(DEFAULT_LIMITS), `training-step workgroup of ${WG} invocations is not the optimizer updates' ${defaultWorkgroupSize(DEFAULT_LIMITS)}`);
invariant((WG & (WG - 1)) === 0, `training-step workgroup of ${WG} invocations is not a power of two`);

/** Module-scope declarations of a kernel: the step struct and uniform, then `bindings` (binding number, declaration after `var`). */
function header(ep: string, bindings: readonly [number, string][]): string[] {
  const fields = STEP_FIELDS.map((f, i) => `${f}: ${i < STEP_FIELDS.indexOf('scale') || f === 'pad' ? 'u32' : 'f32'}`);
  invariant(fields.length * 4 === STEP_BYTES, `step uniform of ${fields.length} fields for ${STEP_BYTES} bytes`);
  return [
    `struct ${ep}_Step { ${fields.join(', ')} }`,
    ...bindings.map(([b, decl]) => `@group(0) @binding(${b}) var${decl};`),
    `@group(0) @binding(6) var<uniform> ${ep}_step: ${ep}_Step;`,
  ];
}

/** The workgroup's tree sum of `${ep}_sum` (256 entries) into its entry 0; every invocation runs it. */
function treeSum(ep: string): string[] {
  return [
    `  workgroupBarrier();`,
    `  for (var w = ${WG / 2}u; w > 0u; w = w >> 1u) {`,
    `    if (lid < w) { ${ep}_sum[lid] = ${ep}_sum[lid] + ${ep}_sum[lid + w]; }`,
    `    workgroupBarrier();`,
    `  }`,
  ];
}

const NON_FINITE = (bits: string) => `(${bits} & 0x7f800000u) == 0x7f800000u`;
const SIGNATURE = `@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32`;

function body(kernel: TrainingStepKernel, ep: string, storage: StorageType): string[] {
  const load = (e: string) => (storage === 'f16' ? `f32(${e})` : e);
  const store = (e: string) => (storage === 'f16' ? `f16(${e})` : e);
  const record = `${ep}_step.slot * ${STATS_WORDS}u`;
  switch (kernel) {
    case 'gather':
      return [
        ...header(ep, [
          [0, `<storage, read> ${ep}_src: array<${storage}>`],
          [1, `<storage, read> ${ep}_rows: array<u32>`],
          [3, `<storage, read_write> ${ep}_dst: array<${storage}>`],
        ]),
        `@compute @workgroup_size(${WG})`,
        `fn ${ep}(${SIGNATURE}) {`,
        `  let s = ${ep}_step;`,
        `  let i = (wg.x + wg.y * nwg.x) * ${WG}u + lid;`,
        `  if (i >= s.rows * s.n) { return; }`,
        `  let r = i / s.n;`,
        `  ${ep}_dst[i] = ${ep}_src[${ep}_rows[s.base + r] * s.n + (i - r * s.n)];`,
        `}`,
      ];
    case 'mse':
      return [
        ...header(ep, [
          [0, `<storage, read> ${ep}_y: array<${storage}>`],
          [1, `<storage, read> ${ep}_rows: array<u32>`],
          [2, `<storage, read> ${ep}_t: array<f32>`],
          [3, `<storage, read_write> ${ep}_dy: array<${storage}>`],
          [4, `<storage, read_write> ${ep}_partials: array<f32>`],
          [5, `<storage, read_write> ${ep}_stats: array<atomic<u32>>`],
        ]),
        `var<workgroup> ${ep}_sum: array<f32, ${WG}>;`,
        `@compute @workgroup_size(${WG})`,
        `fn ${ep}(${SIGNATURE}) {`,
        `  let s = ${ep}_step;`,
        `  let g = wg.x + wg.y * nwg.x;`,
        `  let count = s.rows * s.m;`,
        `  var acc = 0.0;`,
        `  for (var k = 0u; k < ${MSE_ITEMS}u; k = k + 1u) {`,
        `    let i = (g * ${MSE_ITEMS}u + k) * ${WG}u + lid;`,
        `    if (i < count) {`,
        `      let r = i / s.m;`,
        `      var row = r;`,
        `      if (s.gathered != 0u) { row = ${ep}_rows[s.base + r]; }`,
        `      let y = ${load(`${ep}_y[i]`)};`,
        `      let d = y - ${ep}_t[row * s.m + (i - r * s.m)];`,
        `      ${ep}_dy[i] = ${store('d * s.scale')};`,
        `      let bits = bitcast<u32>(y);`,
        `      if (${NON_FINITE('bits')}) {`,
        `        atomicOr(&${ep}_stats[${record} + ${STATS.flags}u], select(${FLAG_INF}u, ${FLAG_NAN}u, (bits & 0x007fffffu) != 0u));`,
        `      }`,
        `      let e = d * s.rootInv;`,
        `      acc = acc + e * e;`,
        `    }`,
        `  }`,
        `  ${ep}_sum[lid] = acc;`,
        ...treeSum(ep),
        `  if (lid == 0u && g < s.partials) { ${ep}_partials[g] = ${ep}_sum[0]; }`,
        `}`,
      ];
    case 'check':
      return [
        ...header(ep, [
          [0, `<storage, read> ${ep}_params: array<${storage}>`],
          [2, `<storage, read> ${ep}_grads: array<${storage}>`],
          [5, `<storage, read_write> ${ep}_stats: array<atomic<u32>>`],
        ]),
        `var<workgroup> ${ep}_max: atomic<u32>;`,
        `@compute @workgroup_size(${WG})`,
        `fn ${ep}(${SIGNATURE}) {`,
        `  let s = ${ep}_step;`,
        `  let i = (wg.x + wg.y * nwg.x) * ${WG}u + lid;`,
        `  let base = ${record};`,
        `  if (i < s.paramSize) {`,
        `    let g = ${load(`${ep}_grads[i]`)};`,
        `    let gb = bitcast<u32>(g);`,
        `    if (${NON_FINITE('gb')}) { atomicMin(&${ep}_stats[base + ${STATS.badGradient}u], i); } else { atomicMax(&${ep}_max, gb & 0x7fffffffu); }`,
        `    let p = ${load(`${ep}_params[i]`)};`,
        `    let pb = bitcast<u32>(p);`,
        `    if (${NON_FINITE('pb')} || abs(p) > s.limit) { atomicMin(&${ep}_stats[base + ${STATS.badParam}u], i); }`,
        `  }`,
        `  workgroupBarrier();`,
        `  if (lid == 0u) { atomicMax(&${ep}_stats[base + ${STATS.maxGradient}u], atomicLoad(&${ep}_max)); }`,
        `}`,
      ];
    case 'finalize':
      return [
        ...header(ep, [
          [0, `<storage, read> ${ep}_params: array<${storage}>`],
          [2, `<storage, read> ${ep}_grads: array<${storage}>`],
          [4, `<storage, read_write> ${ep}_partials: array<f32>`],
          [5, `<storage, read_write> ${ep}_stats: array<atomic<u32>>`],
        ]),
        `var<workgroup> ${ep}_sum: array<f32, ${WG}>;`,
        `@compute @workgroup_size(${WG})`,
        `fn ${ep}(@builtin(local_invocation_index) lid: u32) {`,
        `  let s = ${ep}_step;`,
        `  var acc = 0.0;`,
        `  for (var j = lid; j < s.partials; j = j + ${WG}u) { acc = acc + ${ep}_partials[j]; }`,
        `  ${ep}_sum[lid] = acc;`,
        ...treeSum(ep),
        `  if (lid == 0u) {`,
        `    let base = ${record};`,
        `    atomicStore(&${ep}_stats[base + ${STATS.loss}u], bitcast<u32>(${ep}_sum[0]));`,
        `    let bg = atomicLoad(&${ep}_stats[base + ${STATS.badGradient}u]);`,
        `    if (bg != ${NONE}u) { atomicStore(&${ep}_stats[base + ${STATS.badGradientValue}u], bitcast<u32>(${load(`${ep}_grads[bg]`)})); }`,
        `    let bp = atomicLoad(&${ep}_stats[base + ${STATS.badParam}u]);`,
        `    if (bp != ${NONE}u) { atomicStore(&${ep}_stats[base + ${STATS.badParamValue}u], bitcast<u32>(${load(`${ep}_params[bp]`)})); }`,
        `  }`,
        `}`,
      ];
    default:
      return assertNever(kernel);
  }
}

/** The training-step kernels with `storage` for X, Y, DY, params and gradients, in TRAINING_STEP_KERNELS order. */
export function trainingStepKernels(storage: StorageType): EmittedKernel[] {
  return TRAINING_STEP_KERNELS.map((kernel) => {
    const ep = trainingStepEntryPoint(kernel);
    return {
      entryPoint: ep,
      wgsl: body(kernel, ep, storage).join('\n') + '\n',
      enables: storage === 'f16' ? ['f16'] : [],
      workgroupSize: [WG, 1, 1],
      // Sizes come from the step uniform: the runtime computes the workgroups of each step.
      dispatch: { kind: 'fixed', items: 0, itemsPerWorkgroup: kernel === 'mse' ? WG * MSE_ITEMS : WG },
      schedule: { family: `train-${kernel}`, workgroupSize: WG },
      ops: [],
    };
  });
}

/** The manifest's `trainingStep` of a map: the kernels' entry points and workgroup sizes. */
export function manifestTrainingStep(kernels: readonly EmittedKernel[]): ManifestTrainingStep {
  invariant(kernels.length === TRAINING_STEP_KERNELS.length, `${kernels.length} training-step kernels for ${TRAINING_STEP_KERNELS.length}`);
  return {
    kernels: kernels.map((k, i) => {
      invariant(k.dispatch.kind === 'fixed', `training-step kernel ${k.entryPoint} has a ${k.dispatch.kind} dispatch`);
      return { name: TRAINING_STEP_KERNELS[i], entryPoint: k.entryPoint, workgroupSize: [...k.workgroupSize], itemsPerWorkgroup: k.dispatch.itemsPerWorkgroup };
    }),
  };
}
