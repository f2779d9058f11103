/**
 * What a ks or bsr kernel addresses its buffers by: its entry point and the names the kernel shell
 * gives its bindings (scaffold.ts kernelNames), the source and destination row sizes, and the
 * weight's (and bias's) offsets in the packed parameters. The tiled families' one prologue.
 */
import type { BsrOp, KsOp } from '../../../ir/ir.js';
import { kernelNames, paramOffset, rowSize, type KernelContext } from '../scaffold.js';

export function opOperands(op: Pick<KsOp | BsrOp, 'src' | 'dst' | 'weight' | 'bias'>, ctx: KernelContext) {
  const ep = ctx.entryPoint;
  return {
    ep,
    n: kernelNames(ep),
    inSize: rowSize(ctx, op.src),
    outSize: rowSize(ctx, op.dst),
    wOff: paramOffset(ctx, op.weight),
    biasOff: op.bias ? paramOffset(ctx, op.bias) : undefined,
  };
}
