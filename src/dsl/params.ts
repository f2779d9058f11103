import { assertNever } from '../util/assert.js';
import type { ParamSpec, Structure } from './structure.js';

/**
 * The parameter tensors of a structure, in first-use order, each name once: a map referenced
 * twice (weight tying) contributes its tensors once, and is walked once (so that references of
 * references cost what the module's text does, not what it expands to).
 */
export function paramsOf(s: Structure): ParamSpec[] {
  const seen = new Map<string, ParamSpec>();
  const walked = new Set<string>();
  collect(s, walked, (p) => {
    if (!seen.has(p.name)) seen.set(p.name, p);
  });
  return [...seen.values()];
}

function collect(s: Structure, walked: Set<string>, emit: (p: ParamSpec) => void): void {
  const param = (name: string, shape: number[], fanIn: number) => emit({ name: `${s.path}.${name}`, shape, fanIn });
  switch (s.kind) {
    case 'dense':
      return param('weight', [s.out, s.in], s.in);
    case 'ks':
      return param('w', [s.a * s.d, s.b, s.c], s.c);
    case 'blockdiag':
      return param('weight', [s.nblocks, s.out / s.nblocks, s.in / s.nblocks], s.in / s.nblocks);
    case 'transpose':
      return;
    case 'monarch':
      param('blkdiag1', [s.nblocks, s.q, s.p], s.p);
      return param('blkdiag2', [s.nblocks, s.s, s.r], s.r);
    case 'monarch_order':
      s.radices.forEach((b, i) => param(`factor${i}`, [s.in / b, b, b], b));
      return;
    case 'butterfly':
      return param('twiddle', [s.levels, s.in / s.radix, s.radix, s.radix], s.radix);
    case 'lowrank':
      param('U', [s.out, s.rank], s.rank);
      return param('V', [s.rank, s.in], s.in);
    case 'sparse': {
      // Average number of inputs feeding one output row: the fan-in of a block row.
      const rows = s.out / s.bh;
      const fanIn = Math.max(1, Math.round((s.blocks.length * s.bw) / rows));
      return param('values', [s.blocks.length, s.bh, s.bw], fanIn);
    }
    case 'bias':
      return param('bias', [s.out], s.in);
    case 'sum':
      return s.terms.forEach((t) => collect(t, walked, emit));
    case 'chain':
      return s.factors.forEach((f) => collect(f, walked, emit));
    case 'ref':
      if (walked.has(s.map)) return;
      walked.add(s.map);
      return collect(s.target, walked, emit);
    default:
      return assertNever(s, 'structure');
  }
}

/** Elements of a tensor of this shape, exact however large (a product of 32-bit sizes can pass 2^53). */
export function tensorElements(shape: readonly number[]): bigint {
  return shape.reduce((acc, d) => acc * BigInt(d), 1n);
}

export function paramCount(s: Structure): number {
  return paramsOf(s).reduce((acc, p) => acc + p.shape.reduce((x, y) => x * y, 1), 0);
}
