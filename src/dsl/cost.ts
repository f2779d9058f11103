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
  return 2 * multiplyAdds(s, new Map()) + biasAdds(s, new Map());
}

/** `count` of a reference's target, computed once per referenced map (references of references would otherwise multiply). */
function perTarget(s: Extract<Structure, { kind: 'ref' }>, memo: Map<string, number>, count: (s: Structure, memo: Map<string, number>) => number): number {
  let v = memo.get(s.map);
  if (v === undefined) {
    v = count(s.target, memo);
    memo.set(s.map, v);
  }
  return v;
}

function multiplyAdds(s: Structure, memo: Map<string, number>): number {
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
      return s.terms.reduce((acc, t) => acc + multiplyAdds(t, memo), 0);
    case 'chain':
      return s.factors.reduce((acc, f) => acc + multiplyAdds(f, memo), 0);
    case 'ref':
      return perTarget(s, memo, multiplyAdds);
    default:
      return assertNever(s, 'structure');
  }
}

function biasAdds(s: Structure, memo: Map<string, number>): number {
  switch (s.kind) {
    case 'bias':
      return s.out;
    case 'sum':
      return s.terms.reduce((acc, t) => acc + biasAdds(t, memo), 0);
    case 'chain':
      return s.factors.reduce((acc, f) => acc + biasAdds(f, memo), 0);
    case 'ref':
      return perTarget(s, memo, biasAdds);
    default:
      return 0;
  }
}
