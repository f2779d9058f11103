/**
 * How a map's kernels are named: the kernel starting at forward op i of map `m` is `m_op<i>`, at
 * backward op i `m_bwd<i>`, each maybe followed by its kernel set's suffix (`_tc`, `_tc512`,
 * `_large`, `_portable`: sets whose kernels share the module's WGSL). The compiler names them so
 * (codegen/wgsl/program.ts, backward-program.ts) and a manifest read from a file is checked
 * against it (check-manifest.ts): entry points swapped between a map's kernels, or one used
 * twice, ran the wrong code with no error (QA2 s14 R34: wrong by 7.3).
 */

/** The entry point of the forward kernel starting at op `index` of map `mapName`; module-unique because map names are. */
export function entryPointName(mapName: string, index: number): string {
  return `${mapName}_op${index}`;
}

/** The entry point of backward op `index` of map `mapName`. */
export function backwardEntryPoint(mapName: string, index: number): string {
  return `${mapName}_bwd${index}`;
}

/** A kernel set's suffix: none, or `_` and a name that does not start with a digit (so `m_op1` never reads as `m_op10`'s). */
const SUFFIX = /^(_[A-Za-z]\w*)?$/;

/** Why `entryPoint` is not the name of the kernel starting at op `first` of the program, if it is not. */
export function entryPointProblem(mapName: string, program: 'forward' | 'backward', first: number, entryPoint: string): string | undefined {
  const base = program === 'forward' ? entryPointName(mapName, first) : backwardEntryPoint(mapName, first);
  if (entryPoint.startsWith(base) && SUFFIX.test(entryPoint.slice(base.length))) return undefined;
  return `.entryPoint: '${entryPoint}' is not the name of a kernel starting at its op ${first} ('${base}', maybe with its kernel set's suffix)`;
}
