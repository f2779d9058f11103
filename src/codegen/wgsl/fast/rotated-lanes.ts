/**
 * Vec4 registers moved to or from workgroup memory one lane at a time in rotated order
 * (ks-sgmat-strided's staging stores and epilogue reads, `sw`): invocations whose words would share
 * a bank at the same step touch different lanes instead. Session 16 also tried it on ks-sgmat's
 * staging and f32 epilogue (`sw`, `cf`): 1.1-1.6x slower on the H100 wherever timed
 * (bench/results/s16/call-2), so they went.
 */
/**
 * `line` for the four lanes qq of a vec4, lane (q + rot) mod 4 at step q: invocations with
 * neighbouring `rot` touch different lanes at each step, so their workgroup-memory words fall in
 * different banks (the bank tests check the layouts this serves).
 */
export function rotatedLanes(rot: string, line: string): string[] {
  return [0, 1, 2, 3].map((q) => `{ let qq = (${q}u + ${rot}) & 3u; ${line} }`);
}

/**
 * `v` rotated by `rot` (mod 4) without a dynamic lane index: two selects between swizzles, so
 * the register stays a register (a vector indexed by a runtime value may be spilled to
 * thread-local memory by the driver's compiler). `left`: lane q of the result is lane (q + rot)
 * mod 4 of `v`; otherwise lane (q + rot) mod 4 of the result is lane q of `v`.
 */
export function rotateBy(v: string, rot: string, left: boolean, name: string, decl: 'let' | 'var'): string[] {
  const [one, two] = left ? ['yzwx', 'zwxy'] : ['wxyz', 'zwxy'];
  return [`let ${name}1 = select(${v}, ${v}.${one}, ((${rot}) & 1u) != 0u);`, `${decl} ${name} = select(${name}1, ${name}1.${two}, ((${rot}) & 2u) != 0u);`];
}

/**
 * The four lanes of register `v` stored in rotated order (`rotatedLanes`: lane (q + rot) mod 4
 * at step q, to `target(qq)`). With `sw` (swizzled lanes) the register is rotated first and
 * step q stores its lane q, a constant index: the same addresses, no dynamic vector index.
 */
export function rotatedStores(sw: boolean, rot: string, v: string, target: (lane: string) => string): string[] {
  if (!sw) return rotatedLanes(rot, `${target('qq')} = ${v}[qq];`);
  return ['{', ...rotateBy(v, rot, true, 'w', 'let').map((l) => `  ${l}`), ...[0, 1, 2, 3].map((q) => `  { let qq = (${q}u + ${rot}) & 3u; ${target('qq')} = w[${q}]; }`), '}'];
}
