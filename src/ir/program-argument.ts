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
  const shaped = isRecord(value) && typeof value.name === 'string' && Array.isArray(value.ops) && Array.isArray(value.buffers);
  const kind = shaped ? (Array.isArray(value.partials) ? 'backward' : 'forward') : undefined;
  if (kind === want && (value as Record<string, unknown>).dtype !== undefined && ['f32', 'f16'].includes((value as { dtype: string }).dtype)) return;
  if (kind !== undefined && kind !== want) throw new MoncError('user', `${fn}: ${WANTED[want]}, got a ${kind} program of map '${String((value as { name: string }).name)}'`);
  throw argumentError(fn, WANTED[want], value);
}
