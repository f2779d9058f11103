/** The `.mon` front end: parse, check, report. */
import { checkModule, reportNoMap, type CheckOptions } from './check.js';
import { checkDiagnosticArguments, DiagnosticBag, renderDiagnostic, type Diagnostic } from './diagnostics.js';
import { parse } from './parser.js';
import { argumentError, checkOptionFields, refuseUnknownOptions } from '../util/library-arguments.js';
import type { CheckedModule } from './structure.js';

export type { CheckOptions } from './check.js';
export type { MaskResolver, MaskResult } from './check-sparse.js';
export type * from './ast.js';
export type { CheckedMap, CheckedModule, Dtype, ParamSpec, Structure } from './structure.js';
export type { Diagnostic, DiagnosticNote, Severity } from './diagnostics.js';
export type { Position, Span } from './span.js';
export { parse, type ParseResult } from './parser.js';
export { paramsOf, paramCount } from './params.js';
export { structureCost, denseCost, type Cost } from './cost.js';
export { Code, CODES, type CodeInfo } from './codes.js';
export { randomBlocks } from './patterns.js';
export { mulberry32 } from '../util/random.js';

export interface CheckResult {
  /** Present only when there is no error. */
  readonly module?: CheckedModule;
  /** Errors and warnings, sorted by position. */
  readonly diagnostics: readonly Diagnostic[];
}

/** Parses and checks one `.mon` file. Never throws on bad input: problems are diagnostics. */
export function checkSource(source: string, file: string, options: CheckOptions = {}): CheckResult {
  checkOptionFields('checkSource', options, { resolveMask: 'function' });
  refuseUnknownOptions('checkSource', options, ['resolveMask']);
  const parsed = parse(source, file);
  const bag = new DiagnosticBag();
  parsed.diagnostics.forEach((d) => bag.add(d));
  if (!bag.hasErrors) reportNoMap(parsed.ast, bag);
  const module = checkModule(parsed.ast, bag, options);
  return module ? { module, diagnostics: bag.all } : { diagnostics: bag.all };
}

/** Diagnostics rendered in full by `formatDiagnostics`; the rest are counted (a garbage file can have thousands). */
export const MAX_SHOWN_DIAGNOSTICS = 50;

/**
 * The diagnostics rendered (`file:line:col: severity: message [code]`, source line, caret), one
 * blank line apart: the first MAX_SHOWN_DIAGNOSTICS of them, then a line that counts the rest.
 */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], source: string): string {
  if (!Array.isArray(diagnostics)) throw argumentError('formatDiagnostics', "diagnostics must be checkSource(...)'s diagnostics array", diagnostics);
  checkDiagnosticArguments('formatDiagnostics', diagnostics, source);
  const shown = diagnostics.slice(0, MAX_SHOWN_DIAGNOSTICS).map((d) => renderDiagnostic(d, source));
  const rest = diagnostics.length - MAX_SHOWN_DIAGNOSTICS;
  if (rest > 0) shown.push(`… and ${rest} more ${rest === 1 ? 'diagnostic' : 'diagnostics'} not shown`);
  return shown.join('\n\n');
}
