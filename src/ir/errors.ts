/**
 * A spec that checks but that the IR cannot compile without breaking SPEC §3's rule that no step
 * exists only to move data (a term that is a bare permutation or the identity). It carries a
 * located Diagnostic for the CLI to render; compiler bugs are `internal error`s instead.
 */
import { Code } from '../dsl/codes.js';
import type { Diagnostic } from '../dsl/diagnostics.js';
import type { Span } from '../dsl/span.js';

export class IrCompileError extends Error {
  readonly diagnostic: Diagnostic;

  constructor(code: Code, message: string, span: Span) {
    super(message);
    this.name = 'IrCompileError';
    this.diagnostic = { code, severity: 'error', message, span, notes: [] };
  }
}

/** Diagnostic codes raised by the IR (registered in dsl/codes.ts). */
export const IR_ERRORS = {
  /** A permutation with no block matmul beside it to absorb it (e.g. a sum term that is only `transpose`). */
  unfusablePermutation: Code.UnfusablePermutation,
  /** A map or sum term that is the identity (e.g. `transpose(a, b) @ transpose(b, a)`): it would need a copy. */
  identityTerm: Code.IdentityTerm,
} as const;
