/**
 * Parameter counts and FLOPs per batch row, read from the model: FLOPs are 2 · the multiply-adds
 * of all block matmuls (a·b·c·d for K(a,b,c,d), nnz·bh·bw for a block-sparse matmul), plus 1 per
 * element for bias adds (sums accumulate into their output, so combining terms costs nothing
 * extra). A tied use costs what its map costs each time it is applied, but its parameters are
 * counted once (they are shared).
 */
import { assertNever } from '../util/assert.js';
import { describeValue } from '../util/describe-value.js';
import { MoncError } from '../util/error.js';
import type { ModelMap, ModelNode, ParamSpec } from './types.js';

export interface Cost {
  readonly params: number;
  readonly flopsPerRow: number;
}

export function modelCost(model: Pick<ModelMap, 'params' | 'body'>): Cost {
  return { params: paramElements(model.params), flopsPerRow: flopsPerRow(model.body) };
}

/** The dense (out x in) matrix: out·in parameters, 2·out·in FLOPs per row. */
export function denseCost(inSize: number, outSize: number): Cost {
  // A library entry (monc): sizes of a map, not anything JavaScript may pass.
  if (![inSize, outSize].every((n) => Number.isSafeInteger(n) && n >= 1)) {
    throw new MoncError('user', `denseCost() takes a map's two sizes (inSize, outSize: whole numbers of at least 1), not (${describeValue(inSize)}, ${describeValue(outSize)})`);
  }
  return { params: inSize * outSize, flopsPerRow: 2 * inSize * outSize };
}

export function paramElements(params: readonly ParamSpec[]): number {
  return params.reduce((acc, p) => acc + p.shape.reduce((x, y) => x * y, 1), 0);
}

/** Block matmuls and bias adds one application of `n` performs (a tied map's each time it is used). */
export function stepCount(n: ModelNode): number {
  switch (n.kind) {
    case 'ks':
    case 'bsr':
    case 'bias':
      return 1;
    case 'transpose':
      return 0;
    case 'chain':
      return n.stages.reduce((acc, s) => acc + stepCount(s), 0);
    case 'sum':
      return n.terms.reduce((acc, t) => acc + stepCount(t), 0);
    case 'tied':
      return stepCount(n.body);
    default:
      return assertNever(n, 'model node');
  }
}

interface Work {
  readonly multiplyAdds: number;
  readonly biasAdds: number;
}

function flopsPerRow(body: ModelNode): number {
  const w = work(body, new Map());
  return 2 * w.multiplyAdds + w.biasAdds;
}

const none: Work = { multiplyAdds: 0, biasAdds: 0 };
const add = (x: Work, y: Work): Work => ({ multiplyAdds: x.multiplyAdds + y.multiplyAdds, biasAdds: x.biasAdds + y.biasAdds });

/** The work of one application of `n`; a tied map's work is computed once per map name (ties of ties would otherwise multiply). */
function work(n: ModelNode, tied: Map<string, Work>): Work {
  switch (n.kind) {
    case 'ks':
      return { multiplyAdds: n.a * n.b * n.c * n.d, biasAdds: 0 };
    case 'bsr':
      return { multiplyAdds: n.blocks.length * n.bh * n.bw, biasAdds: 0 };
    case 'transpose':
      return none;
    case 'bias':
      return { multiplyAdds: 0, biasAdds: n.out };
    case 'chain':
      return n.stages.reduce((acc, s) => add(acc, work(s, tied)), none);
    case 'sum':
      return n.terms.reduce((acc, t) => add(acc, work(t, tied)), none);
    case 'tied': {
      let w = tied.get(n.map);
      if (w === undefined) {
        w = work(n.body, tied);
        tied.set(n.map, w);
      }
      return w;
    }
    default:
      return assertNever(n, 'model node');
  }
}
