/**
 * schedule: expression IR (after fold-permutations and drop-identities) becomes a Program, a
 * straight-line list of ops over named buffers: one op per block matmul, in dependency order.
 *
 * - Parameters: the map's tensors in `paramsOf` order, each once (tied weights too), packed into
 *   one buffer; each tensor starts at a multiple of PARAM_ALIGN (8) elements, one layout for both
 *   dtypes (16 bytes at f16).
 * - Buffers: `x` (input), `y` (output), temporaries `t0`, `t1`… for the values between chain
 *   stages. A temporary is reused once its value is dead, for a value of the same size.
 * - Sums: the first op writing the sum's destination overwrites it (accumulate=false), every
 *   later one accumulates. A `bias` term rides in the epilogue of an op that writes the sum's
 *   destination with the same output map; a BiasOp exists only when no such op exists.
 */
import { assertNever, invariant } from '../../util/assert.js';
import { exprOut } from '../expr-sizes.js';
import { indexMapsEqual, product } from '../index-map.js';
import type { BiasExpr, BufferDecl, IrExpr, IrMap, IrParam, Op, ParamLayoutEntry, Program } from '../ir.js';
import { paramOffsetAfter } from '../../manifest/program.js';

/** The packed parameter buffer of a map, of either dtype: each tensor at a multiple of PARAM_ALIGN elements. */
export function layoutParams(params: readonly IrParam[]): { layout: ParamLayoutEntry[]; size: number } {
  let size = 0;
  const layout = params.map((p) => {
    const offset = paramOffsetAfter(size);
    size = offset + product(p.shape);
    return { name: p.name, shape: [...p.shape], offset };
  });
  return { layout, size };
}

/** Temporaries, reused when dead: a free one of the right size, else a new one. */
class Temporaries {
  readonly decls: BufferDecl[] = [];
  private readonly free = new Set<string>();

  acquire(size: number): string {
    const reuse = this.decls.find((b) => b.size === size && this.free.has(b.name));
    if (reuse) {
      this.free.delete(reuse.name);
      return reuse.name;
    }
    const name = `t${this.decls.length}`;
    this.decls.push({ name, size });
    return name;
  }

  release(name: string): void {
    if (this.decls.some((b) => b.name === name)) this.free.add(name);
  }
}

export function schedule(map: IrMap): Program {
  const { layout, size } = layoutParams(map.params);
  const temps = new Temporaries();
  const ops: Op[] = [];

  /** Emits ops computing dst (= or +=) e(src). */
  const emit = (e: IrExpr, src: string, dst: string, accumulate: boolean): void => {
    switch (e.kind) {
      case 'ks':
      case 'bsr': {
        const { span, ...node } = e;
        ops.push({ ...node, src, dst, accumulate, span });
        return;
      }
      case 'bias':
        ops.push(biasOp(e, dst, accumulate));
        return;
      case 'chain': {
        invariant(e.stages.length > 0, 'schedule: empty chain (drop-identities should have removed it)');
        let cur = src;
        e.stages.forEach((stage, i) => {
          const last = i === e.stages.length - 1;
          const next = last ? dst : temps.acquire(exprOut(stage)!);
          emit(stage, cur, next, last && accumulate);
          if (cur !== src) temps.release(cur);
          cur = next;
        });
        return;
      }
      case 'sum': {
        const first = ops.length;
        let written = accumulate;
        for (const term of e.terms) {
          if (term.kind === 'bias') continue;
          emit(term, src, dst, written);
          written = true;
        }
        for (const term of e.terms) {
          if (term.kind !== 'bias') continue;
          const carrier = ops.findIndex((op, i) => i >= first && op.kind !== 'bias' && op.dst === dst && !op.bias && indexMapsEqual(op.output, term.output));
          const op = carrier >= 0 ? ops[carrier] : undefined;
          if (op && op.kind !== 'bias') {
            ops[carrier] = { ...op, bias: term.param };
          } else {
            ops.push(biasOp(term, dst, written));
            written = true;
          }
        }
        return;
      }
      case 'perm':
        throw new Error('internal error: schedule: a permutation survived fold-permutations');
      default:
        return assertNever(e, 'IR node');
    }
  };

  emit(map.body, 'x', 'y', false);
  return {
    name: map.name,
    in: map.in,
    out: map.out,
    dtype: map.dtype,
    params: layout,
    paramSize: size,
    buffers: [{ name: 'x', size: map.in }, { name: 'y', size: map.out }, ...temps.decls],
    ops,
    span: map.span,
  };
}

function biasOp(e: BiasExpr, dst: string, accumulate: boolean): Op {
  return { kind: 'bias', dst, size: e.size, param: e.param, output: e.output, accumulate, span: e.span };
}
