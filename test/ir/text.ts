/** Before/After IR text for pass tests: template literals with their common indentation removed. */
import { expect } from 'vitest';
import type { Reported } from '../../src/dsl/diagnostics.js';
import type { IrMap } from '../../src/ir/ir.js';
import { parseIrMap } from '../../src/ir/parse.js';
import { printIrMap } from '../../src/ir/printer.js';

export function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').replace(/\n\s*$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n') + '\n';
}

/** Runs a pass on IR text and prints the result (a pass that reports problems must find none). */
export function runPass(pass: (map: IrMap) => IrMap | Reported<IrMap>, before: string): string {
  const after = pass(parseIrMap(dedent(before)));
  if (!('diagnostics' in after)) return printIrMap(after);
  expect(after.diagnostics).toEqual([]);
  return printIrMap(after.result!);
}

/** The codes a reporting pass gives for IR text, and whether it withheld its result. */
export function passCodes(pass: (map: IrMap) => Reported<IrMap>, before: string): { codes: string[]; result: boolean } {
  const { result, diagnostics } = pass(parseIrMap(dedent(before)));
  return { codes: diagnostics.map((d) => d.code), result: result !== undefined };
}
