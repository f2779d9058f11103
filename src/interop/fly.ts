/**
 * fly's `MonarchLinear` (HazyResearch/fly): y = blockdiag_butterfly_multiply(x, blkdiag1,
 * blkdiag2) + bias, with blkdiag1 (k, q, p) and blkdiag2 (k, s, r), k·p = n, k·s = m, q = r.
 * The first multiply is block-diagonal, K(k, q, p, 1); its output, read as (r, k) and multiplied
 * per k, is K(1, s, r, k). (MonarchLinear pads features up to a multiple of k; such a layer is
 * not a monc map: n and m must be multiples of k.)
 */
import { monarchInnerSize } from '../dsl/structure.js';
import { InteropError, ksChainMon, optionalBias, resolvePrefix, shapeText, tensorOf, type PeerFactor, type PeerLayer, type StateDict } from './peer-layer.js';

const PEER = 'fly MonarchLinear';

export function readFlyMonarch(state: StateDict, prefix?: string): PeerLayer {
  const p = resolvePrefix(state, 'blkdiag1', PEER, prefix);
  const w1 = tensorOf(state, p, 'blkdiag1', PEER);
  const w2 = tensorOf(state, p, 'blkdiag2', PEER);
  if (w1.shape.length !== 3 || w2.shape.length !== 3) {
    throw new InteropError(`${p}blkdiag1 ${shapeText(w1.shape)} and ${p}blkdiag2 ${shapeText(w2.shape)} should both be 3-D (nblocks, out block, in block)`);
  }
  const [k, q, pIn] = w1.shape;
  const [l, s, r] = w2.shape;
  if (l !== k || r !== q) {
    throw new InteropError(`${p}blkdiag1 ${shapeText(w1.shape)} and ${p}blkdiag2 ${shapeText(w2.shape)} do not chain: blkdiag2 should be (${k}, s, ${q})`);
  }
  const factors: PeerFactor[] = [
    { pattern: [k, q, pIn, 1], data: w1.data, from: `${p}blkdiag1` },
    { pattern: [1, s, r, k], data: w2.data, from: `${p}blkdiag2` },
  ];
  const monarch = q === monarchInnerSize(pIn, s);
  const mon = monarch ? `${k * pIn} -> ${k * s} = monarch(nblocks: ${k})` : ksChainMon(factors);
  return { kind: PEER, factors, bias: optionalBias(state, p, k * s, PEER), mon };
}
