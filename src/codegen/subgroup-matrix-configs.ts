/**
 * The subgroup-matrix configurations a kernel needs, read from its WGSL: the matrix types it
 * declares, as Dawn checks them when it compiles a pipeline (each left, right and result type, and
 * each multiply, must be one of the adapter's configurations, else the compile fails). Reading the
 * emitted text, not the families' knobs, keeps this true whatever a family writes; a matrix type
 * this reading does not understand is an internal error, so a new form fails the tests here
 * instead of a manifest under-stating what its kernels need.
 */
import { subgroupMatrixConfigName, type SubgroupMatrixConfig } from '../manifest/subgroup-matrix.js';
import { invariant } from '../util/assert.js';

const MATRIX_TYPE = /\bsubgroup_matrix_(left|right|result)\b\s*(<[^<>]*>)?/g;
/** A type's template arguments: component type, columns, rows (integer literals, `u`/`i` suffix allowed). */
const ARGUMENTS = /^<\s*(\w+)\s*,\s*(\d+)[ui]?\s*,\s*(\d+)[ui]?\s*>$/;

interface MatrixType {
  readonly component: string;
  readonly cols: number;
  readonly rows: number;
}

/**
 * The names (manifest/subgroup-matrix.ts) of the configurations `wgsl` uses, sorted: each result
 * type (N columns, M rows) with each left type of M rows (K columns) and right type of K rows and
 * N columns in the left's component type. Kernels declare one of each kind per multiply shape, so
 * this is what their multiplies use.
 */
export function subgroupMatrixConfigs(wgsl: string): string[] {
  const types: Record<string, MatrixType[]> = { left: [], right: [], result: [] };
  for (const [text, kind, args] of wgsl.matchAll(MATRIX_TYPE)) {
    const m = ARGUMENTS.exec(args ?? '');
    invariant(m, `a subgroup matrix type monc cannot read the configuration of: '${text}'`);
    types[kind].push({ component: m[1], cols: Number(m[2]), rows: Number(m[3]) });
  }
  const configs: SubgroupMatrixConfig[] = types.result.flatMap((result) =>
    types.left
      .filter((left) => left.rows === result.rows)
      .flatMap((left) =>
        types.right
          .filter((right) => right.component === left.component && right.rows === left.cols && right.cols === result.cols)
          .map(() => ({ componentType: left.component, resultComponentType: result.component, M: result.rows, N: result.cols, K: left.cols })),
      ),
  );
  // Dawn also checks each type alone: one that is in no multiply would need a configuration this list does not name.
  for (const [kind, list] of Object.entries(types)) {
    for (const t of list) invariant(configs.some((c) => fits(kind, t, c)), `subgroup_matrix_${kind}<${t.component}, ${t.cols}, ${t.rows}> is in no multiply monc can name a configuration for`);
  }
  return [...new Set(configs.map(subgroupMatrixConfigName))].sort();
}

/** Whether a matrix type of `kind` is one of configuration `c`'s: Dawn's rule for each type a shader declares. */
function fits(kind: string, t: MatrixType, c: SubgroupMatrixConfig): boolean {
  if (kind === 'result') return t.component === c.resultComponentType && t.rows === c.M && t.cols === c.N;
  if (t.component !== c.componentType) return false;
  return kind === 'left' ? t.rows === c.M && t.cols === c.K : t.rows === c.K && t.cols === c.N;
}
