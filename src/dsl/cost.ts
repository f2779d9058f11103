/**
 * Parameter counts and FLOPs per batch row of a checked structure: FLOPs are 2 · the multiply-adds
 * of all block matmuls, plus 1 per element for bias adds (sums accumulate into their output, so
 * combining terms costs nothing extra). A reference costs what its target costs each time it is
 * applied, but its parameters are counted once (they are shared).
 */
import { assertNever } from '../util/assert.js';
import { paramCount } from './params.js';
import type { Structure } from './structure.js';

export interface Cost {
  readonly params: number;
  readonly flopsPerRow: number;
}

export function structureCost(s: Structure): Cost {
  return { params: paramCount(s), flopsPerRow: flopsPerRow(s) };
}

/** The dense (out x in) matrix: out·in parameters, 2·out·in FLOPs per row. */
export function denseCost(inSize: number, outSize: number): Cost {
  return { params: inSize * outSize, flopsPerRow: 2 * inSize * outSize };
}

function flopsPerRow(s: Structure): number {
  return 2 * multiplyAdds(s) + biasAdds(s);
}

function multiplyAdds(s: Structure): number {
  switch (s.kind) {
    case 'dense':
      return s.out * s.in;
    case 'ks':
      return s.a * s.b * s.c * s.d;
    case 'blockdiag':
      return (s.out * s.in) / s.nblocks;
    case 'transpose':
    case 'bias':
      return 0;
    case 'monarch':
      return s.nblocks * (s.q * s.p + s.s * s.r);
    case 'monarch_order':
      return s.radices.reduce((acc, b) => acc + s.in * b, 0);
    case 'butterfly':
      return s.levels * s.in * s.radix;
    case 'lowrank':
      return s.rank * (s.in + s.out);
    case 'sparse':
      return s.blocks.length * s.bh * s.bw;
    case 'sum':
      return s.terms.reduce((acc, t) => acc + multiplyAdds(t), 0);
    case 'chain':
      return s.factors.reduce((acc, f) => acc + multiplyAdds(f), 0);
    case 'ref':
      return multiplyAdds(s.target);
    default:
      return assertNever(s, 'structure');
  }
}

function biasAdds(s: Structure): number {
  switch (s.kind) {
    case 'bias':
      return s.out;
    case 'sum':
      return s.terms.reduce((acc, t) => acc + biasAdds(t), 0);
    case 'chain':
      return s.factors.reduce((acc, f) => acc + biasAdds(f), 0);
    case 'ref':
      return biasAdds(s.target);
    default:
      return 0;
  }
}
