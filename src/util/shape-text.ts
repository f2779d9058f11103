/**
 * A shape as monc's messages write it (compiler, CLI, runtime) and an npy header holds it: `(4, 12, 12)`, and one of one
 * axis as Python (NumPy) writes it, `(16,)` (QA1 s27 Q602: project's dense shape and the runtime's ParamErrors said
 * `(16)`, beside `(16,)` everywhere else).
 */
export function shapeText(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}
