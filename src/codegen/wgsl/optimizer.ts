/**
 * Optimizer update kernels over a map's packed parameter buffer, one thread per element (the
 * gaps between aligned tensors hold zero parameters and zero gradients and stay zero). The build
 * ships them in the module (one per rule, listed per map in the manifest); the runtime only
 * dispatches them. Bindings and the Hyper uniform: src/manifest/optimizer.ts.
 * Updates follow PyTorch (torch.optim.SGD with dampening 0, Adam, AdamW), computed in f32:
 *   sgd:  g = grad + wd·p; buf = momentum·buf + g (momentum > 0); p -= lr·buf (or lr·g)
 *   adam: g = grad + wd·p (L2; AdamW instead p ·= 1 − lr·wd); m = β1·m + (1−β1)·g;
 *         v = β2·v + (1−β2)·g²; p -= lr · (m / c1) / (sqrt(v / c2) + eps), c_i = 1 − β_i^t.
 * Knob: workgroupSize.
 */
import type { ManifestOptimizerKernel } from '../../manifest/types.js';
import { OPTIMIZER_RULES, optimizerEntryPoint, type OptimizerRule } from '../../manifest/optimizer.js';
import { invariant } from '../../util/assert.js';
import { defaultWorkgroupSize } from './family.js';
import { DEFAULT_LIMITS, type EmittedKernel, type Schedule, type TargetLimits } from './kernel.js';
import type { StorageType } from './scaffold.js';

/** An update kernel's schedule: its rule's family and the workgroup size (the one knob). */
interface OptimizerSchedule extends Schedule {
  readonly family: `opt-${OptimizerRule}`;
  readonly workgroupSize: number;
}

function defaultOptimizerSchedule(kind: OptimizerRule, limits: TargetLimits): OptimizerSchedule {
  return { family: `opt-${kind}`, workgroupSize: defaultWorkgroupSize(limits) };
}

/** The update kernel for a packed buffer of `size` elements (its WGSL does not depend on the size: a uniform holds it). */
function emitOptimizerKernel(kind: OptimizerRule, size: number, storage: StorageType, schedule: OptimizerSchedule): EmittedKernel {
  const wg = schedule.workgroupSize;
  const ep = optimizerEntryPoint(kind);
  const load = (e: string) => (storage === 'f16' ? `f32(${e})` : e);
  const store = (e: string) => (storage === 'f16' ? `f16(${e})` : e);
  const update =
    kind === 'sgd'
      ? [
          `let g = ${load(`${ep}_grads[i]`)} + h.weightDecay * p;`,
          `var step = g;`,
          `if (h.beta1 != 0.0) {`,
          `  step = h.beta1 * ${ep}_state[i] + g;`,
          `  ${ep}_state[i] = step;`,
          `}`,
          `${ep}_params[i] = ${store('p - h.lr * step')};`,
        ]
      : [
          `var q = p;`,
          `var g = ${load(`${ep}_grads[i]`)};`,
          `if (h.decoupled != 0u) { q = p * (1.0 - h.lr * h.weightDecay); } else { g = g + h.weightDecay * p; }`,
          `let m = h.beta1 * ${ep}_state[i] + (1.0 - h.beta1) * g;`,
          `let v = h.beta2 * ${ep}_state[h.size + i] + (1.0 - h.beta2) * g * g;`,
          `${ep}_state[i] = m;`,
          `${ep}_state[h.size + i] = v;`,
          `${ep}_params[i] = ${store('q - h.lr * (m / h.c1) / (sqrt(v / h.c2) + h.eps)')};`,
        ];
  const wgsl = [
    `struct ${ep}_Hyper { lr: f32, beta1: f32, beta2: f32, eps: f32, weightDecay: f32, c1: f32, c2: f32, size: u32, decoupled: u32, pad0: u32, pad1: u32, pad2: u32 }`,
    `@group(0) @binding(0) var<storage, read_write> ${ep}_params: array<${storage}>;`,
    `@group(0) @binding(1) var<storage, read> ${ep}_grads: array<${storage}>;`,
    `@group(0) @binding(2) var<storage, read_write> ${ep}_state: array<f32>;`,
    `@group(0) @binding(3) var<uniform> ${ep}_hyper: ${ep}_Hyper;`,
    `@compute @workgroup_size(${wg})`,
    `fn ${ep}(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {`,
    `  let h = ${ep}_hyper;`,
    `  let i = (wg.x + wg.y * nwg.x) * ${wg}u + lid;`,
    `  if (i >= h.size) { return; }`,
    `  let p = ${load(`${ep}_params[i]`)};`,
    ...update.map((l) => `  ${l}`),
    `}`,
  ].join('\n');
  return {
    entryPoint: ep,
    wgsl: wgsl + '\n',
    enables: storage === 'f16' ? ['f16'] : [],
    workgroupSize: [wg, 1, 1],
    dispatch: { kind: 'fixed', items: size, itemsPerWorkgroup: wg },
    schedule,
    ops: [],
  };
}

/** The kernels a module ships for a map of `size` packed parameters: every rule, on its default schedule. */
export function emitOptimizerKernels(size: number, storage: StorageType): EmittedKernel[] {
  return OPTIMIZER_RULES.map((rule) => emitOptimizerKernel(rule, size, storage, defaultOptimizerSchedule(rule, DEFAULT_LIMITS)));
}

/** The update kernels for the module text (their WGSL does not depend on a map's size; only the dispatch does). */
export function moduleOptimizerKernels(storage: StorageType): EmittedKernel[] {
  return emitOptimizerKernels(0, storage);
}

/** The manifest's `optimizers` of a map, from its emitOptimizerKernels (same order). */
export function manifestOptimizers(kernels: readonly EmittedKernel[]): ManifestOptimizerKernel[] {
  invariant(kernels.length === OPTIMIZER_RULES.length, `${kernels.length} optimizer kernels for ${OPTIMIZER_RULES.length} rules`);
  return kernels.map((k, i) => ({
    rule: OPTIMIZER_RULES[i],
    entryPoint: k.entryPoint,
    workgroupSize: [...k.workgroupSize],
    dispatch: { ...k.dispatch },
    schedule: { ...k.schedule },
  }));
}
