/** Argument combinations of a constructor that a signature alone cannot express (monarch's two forms). */
import type { Args } from './check-args.js';
import { Code } from './codes.js';
import type { DiagnosticBag } from './diagnostics.js';

export function checkCombinations(ctor: string, args: Args, bag: DiagnosticBag): boolean {
  if (ctor !== 'monarch') return true;
  const ordered = ['order', 'radix', 'radices'].filter((k) => args.has(k));
  if (args.has('nblocks') && ordered.length > 0) {
    bag.error(Code.ConflictingArguments, `'nblocks:' and '${ordered[0]}:' select different kinds of monarch: give one of them`, args.span(ordered[0]));
    return false;
  }
  if (args.has('radix') && args.has('radices')) {
    bag.error(Code.ConflictingArguments, "give either 'radix:' (all factors alike) or 'radices:' (one per factor), not both", args.span('radices'));
    return false;
  }
  if (args.has('radix') && !args.has('order')) {
    bag.error(Code.MissingArgument, "monarch(radix: …) needs 'order:', the number of factors", args.call.span);
    return false;
  }
  const radices = args.ints('radices');
  const order = args.int('order');
  if (radices && order !== undefined && radices.length !== order) {
    bag.error(Code.ConflictingArguments, `'order: ${order}' but 'radices:' lists ${radices.length} factors`, args.span('radices'));
    return false;
  }
  return true;
}
