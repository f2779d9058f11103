/**
 * Runs one emitted kernel on its own (the tuner and the benchmarks time kernels in isolation):
 * compiles it, binds the buffers of the kernel contract and encodes its dispatch. The
 * bindings and the (x, y) workgroup grid are the runtime's own (runtime/dispatch-dims.ts:
 * `kernelBindings`, `dispatchGrid` within the device's maxComputeWorkgroupsPerDimension), so a
 * kernel is timed exactly as the runtime will dispatch it. Browser-safe.
 */
import type { EmittedKernel } from '../codegen/wgsl/kernel.js';
import { workgroupCount } from '../codegen/wgsl/kernel.js';
import { dispatchGrid, kernelBindings } from '../runtime/dispatch-dims.js';
import { noPattern } from '../runtime/pattern-buffers.js';
import { PipelineCache } from '../runtime/pipeline-cache.js';

export interface KernelBuffers {
  readonly params: GPUBuffer;
  readonly src: GPUBuffer;
  readonly dst: GPUBuffer;
  /** The kernel's pattern table (runtime/pattern-buffers.ts), for a kernel that reads one. */
  readonly pattern?: GPUBuffer;
}

export interface PreparedDispatch {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number];
}

/** WGSL source of one kernel as its own module. */
export function kernelModuleText(kernel: EmittedKernel): string {
  return kernel.enables.map((e) => `enable ${e};\n`).join('') + kernel.wgsl;
}

/** Compiles and binds a kernel; rejects with the compiler's messages when the WGSL is invalid. */
export async function prepareKernel(device: GPUDevice, kernel: EmittedKernel, buffers: KernelBuffers, batch: number): Promise<PreparedDispatch> {
  const groups = workgroupCount(kernel.dispatch, batch);
  const module = device.createShaderModule({ code: kernelModuleText(kernel) });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) throw new Error(`kernel ${kernel.entryPoint} does not compile: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
  if (kernel.pattern && !buffers.pattern) throw new Error(`internal error: kernel ${kernel.entryPoint} reads a pattern table and none is bound`);
  return inValidationScope(device, `kernel ${kernel.entryPoint}`, async () => {
    // The contract's explicit layout, not 'auto': a kernel that never reads a binding (a sparse op
    // without blocks never reads `src`) must still accept it, as in the runtime.
    const { layout, bindGroupLayout } = PipelineCache.for(device);
    const pipeline = await device.createComputePipelineAsync({ layout, compute: { module, entryPoint: kernel.entryPoint } });
    const dims = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(dims, 0, new Uint32Array([batch, groups, 0, 0]));
    const pattern = buffers.pattern ?? noPattern(device);
    const bindGroup = device.createBindGroup({ layout: bindGroupLayout, entries: kernelBindings(buffers.params, buffers.src, buffers.dst, dims, 0, pattern) });
    return { pipeline, bindGroup, workgroups: dispatchGrid(device, groups) };
  });
}

/**
 * `body`'s result, with the WebGPU validation errors it causes turned into a rejection naming
 * `what`. The scope is popped however `body` ends: one it throws out of (a pipeline the device
 * refuses, over its workgroup storage, rejects createComputePipelineAsync) would otherwise stay
 * pushed and swallow every later validation error of the tune. `body`'s own error wins.
 */
export async function inValidationScope<T>(device: GPUDevice, what: string, body: () => Promise<T> | T): Promise<T> {
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = await body();
  } catch (e) {
    await device.popErrorScope().catch(() => undefined);
    throw e;
  }
  const err = await device.popErrorScope();
  if (err) throw new Error(`${what}: ${err.message}`);
  return result;
}

export function encodeDispatch(pass: GPUComputePassEncoder, d: PreparedDispatch): void {
  pass.setPipeline(d.pipeline);
  pass.setBindGroup(0, d.bindGroup);
  pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1]);
}
