/**
 * verify: the structural invariants of expression IR. Run between passes; a failure is a compiler
 * bug (an `internal error`), never a user error, so it throws rather than collecting diagnostics.
 */
import { assertNever } from '../../util/assert.js';
import { exprIn, exprOut } from '../expr-sizes.js';
import { blockProblems } from '../../manifest/program-problems.js';
import { indexMapProblems, product } from '../index-map.js';
import type { IndexMap, IrExpr, IrMap, ParamSlice } from '../ir.js';

export interface VerifyOptions {
  /** `perm` nodes may exist (before `fold-permutations`). */
  readonly allowPermutations: boolean;
  /** Empty chains (identities) may exist (before `drop-identities`). */
  readonly allowIdentities: boolean;
}

export const VERIFY_FINAL: VerifyOptions = { allowPermutations: false, allowIdentities: false };

/** Every broken invariant, as a readable line; empty when the IR is well formed. */
export function irProblems(map: IrMap, options: VerifyOptions): string[] {
  const problems: string[] = [];
  const tensorSizes = new Map(map.params.map((p) => [p.name, product(p.shape)]));
  const at = (e: IrExpr) => `${e.kind} at ${e.span.file}:${e.span.start.line}:${e.span.start.column}`;

  const checkMap = (e: IrExpr, which: string, m: IndexMap, size: number) => {
    if (m.size !== size) problems.push(`${at(e)}: ${which} map has size ${m.size}, expected ${size}`);
    for (const p of indexMapProblems(m)) problems.push(`${at(e)}: ${which} map: ${p}`);
  };
  const checkSlice = (e: IrExpr, s: ParamSlice, length: number) => {
    const size = tensorSizes.get(s.tensor);
    if (size === undefined) problems.push(`${at(e)}: unknown parameter tensor '${s.tensor}'`);
    else if (s.offset < 0 || s.offset + s.length > size) problems.push(`${at(e)}: slice [${s.offset}:${s.offset + s.length}] outside '${s.tensor}' (${size} elements)`);
    if (s.length !== length) problems.push(`${at(e)}: slice of '${s.tensor}' has ${s.length} elements, expected ${length}`);
  };
  const positive = (e: IrExpr, fields: Record<string, number>) => {
    for (const [k, v] of Object.entries(fields)) if (!Number.isInteger(v) || v < 1) problems.push(`${at(e)}: ${k} = ${v} is not a positive integer`);
  };

  const visit = (e: IrExpr): void => {
    switch (e.kind) {
      case 'ks':
        positive(e, { a: e.a, b: e.b, c: e.c, d: e.d });
        checkSlice(e, e.weight, e.a * e.d * e.b * e.c);
        checkMap(e, 'input', e.input, e.a * e.c * e.d);
        checkMap(e, 'output', e.output, e.a * e.b * e.d);
        return;
      case 'bsr': {
        positive(e, { rows: e.rows, cols: e.cols, bh: e.bh, bw: e.bw });
        // The rule of a bsr op's blocks (tiling, inside, each once in row-major order), as decodeManifest checks it.
        blockProblems(at(e), e, false, problems);
        checkSlice(e, e.weight, e.blocks.length * e.bh * e.bw);
        checkMap(e, 'input', e.input, e.cols);
        checkMap(e, 'output', e.output, e.rows);
        return;
      }
      case 'perm':
        if (!options.allowPermutations) problems.push(`${at(e)}: a permutation survived fold-permutations`);
        checkMap(e, 'perm', e.map, e.map.size);
        return;
      case 'bias':
        positive(e, { size: e.size });
        checkSlice(e, e.param, e.size);
        checkMap(e, 'output', e.output, e.size);
        return;
      case 'chain':
        if (e.stages.length === 0 && !options.allowIdentities) problems.push(`${at(e)}: empty chain`);
        e.stages.forEach((s, i) => {
          visit(s);
          const next = e.stages[i + 1];
          const out = exprOut(s);
          const inNext = next && exprIn(next);
          if (next && out !== undefined && inNext !== undefined && out !== inNext) problems.push(`${at(e)}: stage ${i} gives ${out} values but stage ${i + 1} reads ${inNext}`);
        });
        return;
      case 'sum': {
        if (e.terms.length === 0) problems.push(`${at(e)}: empty sum`);
        e.terms.forEach(visit);
        const ins = new Set(e.terms.map(exprIn).filter((n) => n !== undefined));
        const outs = new Set(e.terms.map(exprOut).filter((n) => n !== undefined));
        if (ins.size > 1) problems.push(`${at(e)}: terms read different sizes ${[...ins].join(', ')}`);
        if (outs.size > 1) problems.push(`${at(e)}: terms give different sizes ${[...outs].join(', ')}`);
        return;
      }
      default:
        return assertNever(e, 'IR node');
    }
  };

  visit(map.body);
  const bodyIn = exprIn(map.body);
  const bodyOut = exprOut(map.body);
  if (bodyIn !== undefined && bodyIn !== map.in) problems.push(`map ${map.name}: body reads ${bodyIn} values, the map takes ${map.in}`);
  if (bodyOut !== undefined && bodyOut !== map.out) problems.push(`map ${map.name}: body gives ${bodyOut} values, the map gives ${map.out}`);
  return problems;
}

/** Returns the map unchanged, or throws an internal error listing every problem. */
export function verify(map: IrMap, options: VerifyOptions = VERIFY_FINAL, after = 'lowering'): IrMap {
  const problems = irProblems(map, options);
  if (problems.length > 0) throw new Error(`internal error: invalid IR for map '${map.name}' after ${after}:\n  ${problems.join('\n  ')}`);
  return map;
}
