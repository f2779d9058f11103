/**
 * The pictures of a map's model: its dense matrix M, and each sparse factor of each term
 * (M = F_0 · F_1 ⋯, transposes folded into their neighbours, as the kernels fold them), each
 * with the values of the current parameters.
 */
import type { ModelMap, ModelNode } from '../../../src/model/types.js';
import { factorChain } from '../../../src/project/factors.js';
import { referenceDense, type ParamValues } from '../../../src/runtime/reference.js';
import type { EntrySource } from './draw-matrix.js';

export interface MatrixPicture {
  readonly title: string;
  readonly caption: string;
  readonly rows: number;
  readonly cols: number;
  readonly entries: EntrySource;
}

/** Dense matrices above this many entries are not materialised in the page. */
export const MAX_DENSE_ENTRIES = 1 << 20;

export function densePicture(s: ModelMap, params: ParamValues): MatrixPicture | string {
  if (s.out * s.in > MAX_DENSE_ENTRIES) return `M is ${s.out} x ${s.in}: too large to materialise here`;
  const m = referenceDense(s, params);
  return {
    title: 'M (dense)',
    caption: `${s.out} x ${s.in}`,
    rows: s.out,
    cols: s.in,
    entries: (emit) => {
      for (let i = 0; i < s.out; i++) for (let j = 0; j < s.in; j++) emit(i, j, m[i * s.in + j]);
    },
  };
}

/** One picture per factor of every term; `notes` says what could not be drawn, and why. */
export function factorPictures(s: ModelMap, params: ParamValues): { pictures: MatrixPicture[]; notes: string[] } {
  const pictures: MatrixPicture[] = [];
  const notes: string[] = [];
  const visit = (node: ModelNode) => {
    if (node.kind === 'sum') return node.terms.forEach(visit);
    if (node.kind === 'tied') return visit(node.body);
    if (node.kind === 'bias') return void notes.push(`${node.param.tensor}: a vector of ${node.out}, added to the output`);
    const kind = node.kind === 'chain' ? (node.constructorKind ?? 'chain') : node.kind;
    let chain;
    try {
      chain = factorChain(node);
    } catch (e) {
      // A chain through a sum of weighted terms (e @ dense() with e = lowrank + sparse) is no single
      // product of sparse factors; each stage is still drawn, term by term.
      if (node.kind === 'chain') {
        notes.push(`${node.path}: a chain through a sum, drawn stage by stage`);
        return node.stages.forEach(visit);
      }
      return void notes.push(`${node.path}: ${(e as Error).message}`);
    }
    // factorChain draws a chain's linear part: its stages' bias terms (b @ dense() with b = lowrank + bias) are vectors, noted.
    if (node.kind === 'chain') node.stages.forEach(noteBiases);
    if (chain.factors.length === 0) return void notes.push(`${node.path}: a fixed permutation, no parameters`);
    chain.factors.forEach((f, i) => {
      const values = params.get(f.tensor);
      if (!values) return void notes.push(`${f.tensor}: no values`);
      pictures.push({
        title: `${node.path} (${kind})${chain.factors.length > 1 ? `: F${i} of ${chain.factors.length}` : ''}`,
        caption: `${f.rows} x ${f.cols}, ${f.row.length} entries of ${f.tensor}`,
        rows: f.rows,
        cols: f.cols,
        entries: (emit) => {
          for (let e = 0; e < f.row.length; e++) emit(f.row[e], f.col[e], values[f.offset + e]);
        },
      });
    });
  };
  const noteBiases = (node: ModelNode): void => {
    if (node.kind === 'bias') return visit(node);
    if (node.kind === 'sum') return node.terms.forEach(noteBiases);
    if (node.kind === 'tied') return noteBiases(node.body);
    if (node.kind === 'chain') return node.stages.forEach(noteBiases);
  };
  visit(s.body);
  return { pictures, notes };
}
