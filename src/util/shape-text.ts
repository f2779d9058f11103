/**
 * A shape as the compiler's and the CLI's messages write it: `(4, 12, 12)`, and one of one axis as Python (NumPy) writes
 * it, `(16,)` (QA1 s27 Q602: project's dense shape said `(16)`, beside `(16,)` everywhere else).
 */
export function shapeText(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}
