/**
 * What the Monarch pair families (ks-pair-fused, ks-pair-sgmat) share: they apply only to two
 * consecutive ks ops that the IR marks as one pair (stage 0 then stage 1 of one group: lowering
 * marks `monarch(...)`, canonicalize-blocks its explicit spelling), never to two ops that merely
 * have a pair's shapes, and each adds its own precondition on the two ops (`fits`).
 */
import type { KsOp, Op } from '../../../ir/ir.js';
import { invariant } from '../../../util/assert.js';
import type { RunFamily } from '../family.js';
import type { EmittedKernel, Schedule, TargetLimits } from '../kernel.js';
import { kernelNames, paramOffset, rowSize, type KernelContext } from '../scaffold.js';

/** Whether op0 then op1 are the two factors of one Monarch pair, as the IR marks them (ir.ts PairMark). */
export function isMarkedPair(op0: KsOp, op1: KsOp): boolean {
  return op0.pair?.stage === 0 && op1.pair?.stage === 1 && op0.pair.group === op1.pair.group;
}

/** A pair family written on the two ops; `markedPairFamily` makes the run family of it. */
export interface PairFamilySpec<S extends Schedule> {
  readonly name: S['family'];
  /** The kernel's precondition on a marked pair (buffers, shapes, the tiling's divisibility). */
  readonly fits: (op0: KsOp, op1: KsOp) => boolean;
  readonly defaultSchedule: (op0: KsOp, op1: KsOp, limits: TargetLimits) => S | undefined;
  readonly candidates: (op0: KsOp, op1: KsOp, limits: TargetLimits) => S[];
  readonly decode: (schedule: Schedule) => S;
  readonly emit: (op0: KsOp, op1: KsOp, schedule: S, ctx: KernelContext) => EmittedKernel;
}

/** The run family of a pair family: it applies to exactly two ops, a marked pair that `fits`. */
export function markedPairFamily<S extends Schedule>(spec: PairFamilySpec<S>): RunFamily<S> {
  const pairOf = (ops: readonly Op[]): [KsOp, KsOp] | undefined => {
    const [op0, op1] = ops;
    return ops.length === 2 && op0.kind === 'ks' && op1.kind === 'ks' && isMarkedPair(op0, op1) && spec.fits(op0, op1) ? [op0, op1] : undefined;
  };
  return {
    name: spec.name,
    applies: (ops) => pairOf(ops) !== undefined,
    defaultSchedule(ops, limits) {
      const pair = pairOf(ops);
      return pair && spec.defaultSchedule(...pair, limits);
    },
    candidates(ops, limits) {
      const pair = pairOf(ops);
      return pair ? spec.candidates(...pair, limits) : [];
    },
    decode: spec.decode,
    emit(ops, schedule, ctx) {
      const pair = pairOf(ops);
      invariant(pair, `${spec.name}: the ops are not a marked pair this kernel computes`);
      return spec.emit(...pair, schedule, ctx);
    },
  };
}

/** Names, row sizes and parameter offsets a pair kernel addresses its buffers by (op0 reads x, op1 writes y). */
export function pairOperands(op0: KsOp, op1: KsOp, ctx: KernelContext) {
  return {
    ep: ctx.entryPoint,
    n: kernelNames(ctx.entryPoint),
    inSize: rowSize(ctx, op0.src),
    outSize: rowSize(ctx, op1.dst),
    w0: paramOffset(ctx, op0.weight),
    w1: paramOffset(ctx, op1.weight),
    bias0: op0.bias ? paramOffset(ctx, op0.bias) : undefined,
    bias1: op1.bias ? paramOffset(ctx, op1.bias) : undefined,
  };
}
