/**
 * torch_butterfly's `Butterfly` (HazyResearch/butterfly): twiddle (nstacks, nblocks, log n,
 * n/2, 2, 2) and bias (n). butterfly_multiply applies, per block, log n factors in steps idx =
 * 0..log n-1, step idx using `twiddle[:, block, idx]`. Strides increase within block 0 when
 * `increasing_stride` (decrease otherwise) and the direction flips from one block to the next:
 * step idx has stride s = 2^idx in an increasing block and s = 2^(log n-1-idx) in a decreasing
 * one, and is K(n/(2s), 2, 2, s) with weights (n/2, 2, 2), monc's layout. Supported: nstacks 1 (in_size = out_size
 * = n, a power of two), any nblocks, real twiddles.
 */
import { InteropError, optionalBias, resolvePrefix, shapeText, tensorOf, type PeerFactor, type PeerLayer, type StateDict } from './peer-layer.js';

const PEER = 'torch_butterfly Butterfly';

export function readTorchButterfly(state: StateDict, increasingStride: boolean, prefix?: string): PeerLayer {
  const p = resolvePrefix(state, 'twiddle', PEER, prefix);
  const tw = tensorOf(state, p, 'twiddle', PEER);
  const [nstacks, nblocks, levels, half, two, two2] = tw.shape;
  const n = 2 ** levels;
  if (tw.shape.length !== 6 || two !== 2 || two2 !== 2 || half !== n / 2) {
    throw new InteropError(`${p}twiddle has shape ${shapeText(tw.shape)}; a real Butterfly twiddle is (nstacks, nblocks, log n, n/2, 2, 2)`);
  }
  if (nstacks !== 1) {
    throw new InteropError(`${p}twiddle has nstacks = ${nstacks} (a Butterfly whose out_size exceeds in_size); only nstacks = 1 (a square n -> n layer) converts`);
  }
  const slab = (n / 2) * 4;
  const factors: PeerFactor[] = [];
  for (let block = 0; block < nblocks; block++) {
    const increasing = increasingStride === (block % 2 === 0);
    // The peer indexes twiddle[:, block, idx] by the step idx; step idx of a decreasing block
    // has stride 2^(log n - 1 - idx), so only increasing blocks have twiddle[:, block, t] at stride 2^t.
    for (let idx = 0; idx < levels; idx++) {
      const t = increasing ? idx : levels - 1 - idx;
      const offset = (block * levels + idx) * slab;
      const s = 2 ** t;
      factors.push({ pattern: [n / (2 * s), 2, 2, s], data: sliceOf(tw.data, offset, slab), from: `${p}twiddle[0, ${block}, ${idx}]` });
    }
  }
  const blocks = [...Array(nblocks).keys()].map((block) => (increasingStride === (block % 2 === 0) ? 'butterfly(radix: 2)' : 'butterfly(radix: 2, stride: decreasing)'));
  return { kind: PEER, factors, bias: optionalBias(state, p, n, PEER), mon: `${n} -> ${n} = ${blocks.reverse().join(' @ ')}` };
}

function sliceOf(data: ArrayLike<number>, offset: number, length: number): Float64Array {
  return Float64Array.from({ length }, (_, i) => data[offset + i]);
}
