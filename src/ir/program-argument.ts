/**
 * A program passed to a library function (compileBackward, tuneProgram, tuneBackwardProgram) from
 * JavaScript: a forward program (compileMap's) and a backward one (compileBackward's) are told
 * apart by their partials (a backward program's batch-reduction buffers), so passing one for the
 * other is refused by name instead of failing on an op the function never expects.
 */
import { argumentError, isRecord } from '../util/library-arguments.js';
import { MoncError } from '../util/error.js';

const WANTED = {
  forward: 'program must be a compiled map (compileMap)',
  backward: 'program must be a backward program (compileBackward(compileMap(...)))',
} as const;

/** Throws a MoncError (kind user) unless `value` is a program of kind `want`. */
export function checkProgramArgument(fn: string, value: unknown, want: 'forward' | 'backward'): void {
  const program = isRecord(value) && typeof value.name === 'string' && Array.isArray(value.ops) && Array.isArray(value.buffers) ? value : undefined;
  const kind = program && (Array.isArray(program.partials) ? 'backward' : 'forward');
  if (kind === want && (program!.dtype === 'f32' || program!.dtype === 'f16')) return;
  if (kind !== undefined && kind !== want) throw new MoncError('user', `${fn}: ${WANTED[want]}, got a ${kind} program of map '${String(program!.name)}'`);
  throw argumentError(fn, WANTED[want], value);
}
