/**
 * The bind group and pipeline layouts of monc's kernels, from their bindings' buffer types listed
 * by binding number: the forward and gradient kernels' one contract (src/manifest/dispatch.ts) in
 * `kernelBindingTypes`, the optimizer's and the training step's own lists where they are used.
 */
import { PATTERN_BINDING } from '../manifest/pattern.js';
import * as flags from './gpu-flags.js';
import { memo } from './memo.js';

/** One bind group's layout and the pipeline layout made of it. */
export interface KernelLayout {
  readonly group: GPUBindGroupLayout;
  readonly pipeline: GPUPipelineLayout;
}

/** Buffer types by binding number; false: no binding of that number. */
export type BindingTypes = readonly (GPUBufferBindingType | false)[];

export const READ = 'read-only-storage';

/**
 * A forward kernel's bindings: params, src (read), dst (written), dims (uniform) and the pattern
 * table (read, at PATTERN_BINDING); a gradient kernel also reads its second source at binding 4.
 */
export function kernelBindingTypes(gradient: boolean): BindingTypes {
  const types: (GPUBufferBindingType | false)[] = [READ, READ, 'storage', 'uniform', gradient && READ];
  types[PATTERN_BINDING] = READ;
  return types;
}

/** The layout `label` of `types`, all visible to compute; `dynamic`: the binding whose offset each setBindGroup gives. */
export function createLayout(device: GPUDevice, label: string, types: BindingTypes, dynamic?: number): KernelLayout {
  const entries = types.flatMap((type, binding) => (type ? [{ binding, visibility: flags.COMPUTE, buffer: { type, hasDynamicOffset: binding === dynamic } }] : []));
  const group = device.createBindGroupLayout({ label, entries });
  return { group, pipeline: device.createPipelineLayout({ label, bindGroupLayouts: [group] }) };
}

const layouts = new WeakMap<GPUDevice, Map<string, KernelLayout>>();

/** createLayout's layout, made once per device and label (the forward layout is PipelineCache's). */
export function sharedLayout(device: GPUDevice, label: string, types: BindingTypes, dynamic?: number): KernelLayout {
  return memo(memo(layouts, device, () => new Map()), label, () => createLayout(device, label, types, dynamic));
}
