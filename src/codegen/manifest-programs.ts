/**
 * What the build writes into a manifest about its kernels beyond the forward ones (compiler
 * side only: the runtime reads the result): the `backward` section of a map (the backward
 * program's ops, buffers and partials, its kernels with their bindings) and the binding plans
 * of kernels emitted again for another storage type (an f16 module's f32 `fallback`).
 */
import type { BackwardOp, BackwardProgram, Op } from '../ir/ir.js';
import { invariant } from '../util/assert.js';
import { backwardBindings, forwardBindings } from '../manifest/kernel-bindings.js';
import {
  type ManifestBackward,
  type ManifestBackwardKernel,
  type ManifestBackwardOp,
  type ManifestKernelPlan,
  type ManifestOp,
} from '../manifest/types.js';
import type { EmittedKernel } from './wgsl/kernel.js';

/**
 * Binding plans of emitted forward kernels: a kernel reads its first op's source (a kernel of
 * bias ops reads no activations, but the binding contract still wants one: the map's input,
 * never written) and writes its last op's destination.
 */
export function planForwardKernels(ops: readonly (ManifestOp | Op)[], kernels: readonly EmittedKernel[]): ManifestKernelPlan[] {
  return kernels.map((k) => {
    const mine = k.ops.map((i) => ops[i]);
    invariant(mine.length > 0, `kernel ${k.entryPoint} performs no op`);
    return {
      entryPoint: k.entryPoint,
      ops: [...k.ops],
      ...forwardBindings(mine),
      workgroupSize: [...k.workgroupSize],
      dispatch: { ...k.dispatch },
      schedule: { ...k.schedule },
      ...(k.pattern ? { pattern: k.pattern } : {}),
    };
  });
}

/** Binding plans of emitted backward kernels (one op each). */
export function planBackwardKernels(ops: readonly (ManifestBackwardOp | BackwardOp)[], kernels: readonly EmittedKernel[]): ManifestBackwardKernel[] {
  return kernels.map((k) => {
    invariant(k.ops.length === 1, `backward kernel ${k.entryPoint} performs ${k.ops.length} ops`);
    return {
      entryPoint: k.entryPoint,
      ops: [...k.ops],
      ...backwardBindings(ops[k.ops[0]]),
      workgroupSize: [...k.workgroupSize],
      dispatch: { ...k.dispatch },
      schedule: { ...k.schedule },
      ...(k.pattern ? { pattern: k.pattern } : {}),
    };
  });
}

/**
 * An op as the manifest ships it: without its span, and without a `ks` op's Monarch pair mark
 * (which ops fuse is decided at build time and recorded in the kernels; the runtime never needs it).
 */
export function opData(op: Op): ManifestOp;
export function opData(op: BackwardOp): ManifestBackwardOp;
export function opData(op: BackwardOp): ManifestBackwardOp {
  if (op.kind === 'ks') {
    const { span: _span, pair: _pair, ...data } = op;
    return data;
  }
  const { span: _span, ...data } = op;
  return data;
}

export function manifestBackward(program: BackwardProgram, kernels: readonly EmittedKernel[]): ManifestBackward {
  const ops = program.ops.map((op) => opData(op));
  return {
    rowsPerSplit: program.rowsPerSplit,
    buffers: program.buffers.map((b) => ({ name: b.name, size: b.size })),
    partials: program.partials.map((b) => ({ name: b.name, size: b.size })),
    zeroInputGradient: program.zeroInputGradient === true,
    ops,
    kernels: planBackwardKernels(program.ops, kernels),
  };
}
