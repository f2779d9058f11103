import { MoncError } from '../util/error.js';

/** A MoncError of kind 'user' (a call its caller got wrong): one short call at each of the runtime's many checks. */
export function userError(message: string): MoncError {
  return new MoncError('user', message);
}

/** How messages name a value of the wrong kind a caller passed: `null` or its typeof. */
export function typeName(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

/**
 * The refusal of an argument or option of a map's call (kind 'user'): `map '<name>': <what>
 * must be <expects>, got <got>`. One formatter for the runner's many such checks: each one's
 * message is then a few words in every page's bundle.
 */
export function mustBe(mapName: string, what: string, expects: string, got: unknown): MoncError {
  return userError(`map '${mapName}': ${what} must be ${expects}, got ${String(got)}`);
}

/**
 * Refuses an option name a call does not know (QA2 s12 R7, s13 R23: from JavaScript a misspelt one
 * was ignored, `backnd: 'cpu'` ran on WebGPU, `momentm` ran without momentum): `<what> has no
 * option '<key>' (its options are ...)`, kind 'user'; `what` names the call (`map 'up': create`).
 */
export function checkOptionNames(what: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) if (!known.includes(key)) throw userError(`${what} has no option '${key}' (its options are ${known.join(', ')})`);
}

/**
 * A caller's value in a message: a string quoted and said to be one (`'2' (a string)`, where 2
 * would pass for a number). For the opt-in entries: checkBatch, in every page, writes the same
 * inline (a function here costs every page 28 bytes more).
 */
export function shown(value: unknown): unknown {
  return typeof value === 'string' ? `'${value}' (a string)` : value;
}
