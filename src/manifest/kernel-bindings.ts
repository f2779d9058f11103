/**
 * Which buffers a kernel binds as src, dst and aux, from the ops it runs (the binding contract,
 * dispatch.ts): written into the manifest by the compiler (codegen/manifest-programs.ts) and
 * checked against a manifest read from a file (check-manifest.ts), so that a hand-edited or
 * swapped binding is refused rather than run on the wrong buffers (QA2 s14 R34).
 */
import { assertNever } from '../util/assert.js';
import type { BackwardOpData, OpData } from './program.js';
import { GRADIENT_BUFFER } from './types.js';

/** What a backward op's kernel binds as src, dst and aux (grad-scaffold.ts). */
export function backwardBindings(op: BackwardOpData): { src: string; dst: string; aux: string } {
  switch (op.kind) {
    case 'ks':
    case 'bsr':
      return { src: op.src, dst: op.dst, aux: 'dy' };
    case 'bias':
      // Reads no activations; the input is always bound and never written.
      return { src: 'x', dst: op.dst, aux: 'dy' };
    case 'wgrad':
      return { src: op.src, dst: op.dst, aux: op.dy };
    case 'bgrad':
      return { src: op.dy, dst: op.dst, aux: 'dy' };
    case 'reduce':
      return { src: op.src, dst: GRADIENT_BUFFER, aux: 'dy' };
    default:
      return assertNever(op, 'backward op');
  }
}

/**
 * What a forward kernel running `ops` (in order) binds: its first op's source (a kernel of bias
 * ops reads no activations, but the binding contract still wants one: the map's input, never
 * written) and its last op's destination.
 */
export function forwardBindings(ops: readonly OpData[]): { src: string; dst: string } {
  return { src: ops.flatMap((op) => (op.kind === 'bias' ? [] : [op.src]))[0] ?? 'x', dst: ops[ops.length - 1].dst };
}
