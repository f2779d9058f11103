/**
 * KSMM's `KSLinear` (bmm algorithm): `factors.i` holds the weights of pattern i in the bmm layout
 * (a·d, b, c) — exactly monc's K(a,b,c,d) layout — and patterns apply first to last:
 * patterns[0] reads the input (a·c·d features), the last one writes the output. The state dict
 * does not record the patterns, so they come from the caller (the map's own factors).
 */
import { InteropError, ksChainMon, optionalBias, resolvePrefix, shapeText, tensorOf, type PeerFactor, type PeerLayer, type StateDict } from './peer-layer.js';

const PEER = 'KSMM KSLinear';

/** `patterns`: (a, b, c, d) per factor, first applied first. */
export function readKsLinear(state: StateDict, patterns: readonly (readonly [number, number, number, number])[], prefix?: string): PeerLayer {
  const p = resolvePrefix(state, 'factors.0', PEER, prefix);
  const count = [...state.keys()].filter((k) => k.startsWith(`${p}factors.`) && /^\d+$/.test(k.slice(`${p}factors.`.length))).length;
  if (count !== patterns.length) {
    throw new InteropError(`the ${PEER} layer '${p}' has ${count} factors (${p}factors.0 …), the map has ${patterns.length} Kronecker-sparse factors`);
  }
  const factors: PeerFactor[] = patterns.map((pattern, i) => {
    const [a, b, c, d] = pattern;
    const t = tensorOf(state, p, `factors.${i}`, PEER);
    const want = [a * d, b, c];
    const bmm = t.shape.length === 3 && t.shape.every((v, j) => v === want[j]);
    if (!bmm) {
      throw new InteropError(`${p}factors.${i} has shape ${shapeText(t.shape)}; pattern ${i} of the map is (${pattern.join(', ')}), whose bmm weights are ${shapeText(want)}`);
    }
    return { pattern, data: t.data, from: `${p}factors.${i}` };
  });
  const [a, b, , d] = patterns[patterns.length - 1];
  return { kind: PEER, factors, bias: optionalBias(state, p, a * b * d, PEER), mon: ksChainMon(factors) };
}
