/** Before/After IR text for pass tests: template literals with their common indentation removed. */
import type { IrMap } from '../../src/ir/ir.js';
import { parseIrMap } from '../../src/ir/parse.js';
import { printIrMap } from '../../src/ir/printer.js';

export function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').replace(/\n\s*$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n') + '\n';
}

/** Runs a pass on IR text and prints the result. */
export function runPass(pass: (map: IrMap) => IrMap, before: string): string {
  return printIrMap(pass(parseIrMap(dedent(before))));
}
