/**
 * The one-line `user` MoncError a misuse of the runtime must raise (a call needing an opt-in entry
 * that is not loaded, …), asserted and returned so a test can check its message further.
 */
import { expect } from 'vitest';
import { MoncError } from '../../src/util/error.js';

export async function userErrorOf(f: () => unknown): Promise<MoncError> {
  const e = await (async () => f())().then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(MoncError);
  expect((e as MoncError).kind).toBe('user');
  expect((e as Error).message).not.toContain('\n');
  return e as MoncError;
}
