import { MoncError } from '../util/error.js';

/**
 * A failure that is the user's to fix, found by the CLI itself (a bad option value, a map that is
 * not there…): the MoncError of kind `user`.
 */
export class UserError extends MoncError {
  override readonly name = 'UserError';
  constructor(message: string) {
    super('user', message);
  }
}
