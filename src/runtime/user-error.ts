import { MoncError } from '../util/error.js';

/** A MoncError of kind 'user' (a call its caller got wrong): one short call at each of the runtime's many checks. */
export function userError(message: string): MoncError {
  return new MoncError('user', message);
}

/** How messages name a value of the wrong kind a caller passed: `null` or its typeof. */
export function typeName(value: unknown): string {
  return value === null ? 'null' : typeof value;
}
