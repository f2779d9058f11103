import { MoncError } from '../util/error.js';

/** A MoncError of kind 'user' (a call its caller got wrong): one short call at each of the runtime's many checks. */
export function userError(message: string): MoncError {
  return new MoncError('user', message);
}
