/**
 * Refuses an option name a call does not know (QA2 s12 R7, s13 R23, s14 R36: from JavaScript a misspelt one was
 * ignored, `backnd: 'cpu'` ran on WebGPU, `fowardOnly: true` gave a full build): `<what> has no option '<key>' (its
 * options are ...)`, kind 'user'; `what` names the call (`map 'up': create`, `compileModule`). One message for the
 * runtime's calls and the compiler's entry points, here because neither side may import the other.
 */
import { MoncError } from './error.js';
import { oneLine } from './json.js';

/** A MoncError of kind 'user' (a call its caller got wrong): one short call at each of the runtime's many checks (page bytes). */
export function userError(message: string): MoncError {
  return new MoncError('user', message);
}

export function checkOptionNames(what: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) if (!known.includes(key)) throw userError(`${what} has no option '${oneLine(key)}' (its options are ${known.join(', ')})`);
}
