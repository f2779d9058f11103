/**
 * The one-line MoncErrors a misuse must raise, asserted and returned so a test can check them
 * further: `userErrorOf` (kind `user`, e.g. a call needing an opt-in entry that is not loaded),
 * `expectMoncError` (a kind and a text; thrown or rejected) and `expectMoncErrorNow` (thrown at once).
 */
import { expect } from 'vitest';
import { MoncError, type ErrorKind } from '../../src/util/error.js';

export function userErrorOf(f: () => unknown): Promise<MoncError> {
  return expectMoncError(f, 'user', '');
}

/** Asserts that `thrown` is a one-line MoncError of `kind` whose message contains `text`; returns it. */
function checkedMoncError(thrown: unknown, kind: ErrorKind, text: string): MoncError {
  expect(thrown, `expected a MoncError '${kind}' saying '${text}'`).toBeInstanceOf(MoncError);
  const e = thrown as MoncError;
  expect({ kind: e.kind, message: e.message }).toEqual({ kind, message: expect.stringContaining(text) });
  expect(e.message).not.toContain('\n');
  return e;
}

/** The MoncError of `kind` saying `text` that `f` throws or rejects with. */
export async function expectMoncError(f: () => unknown, kind: ErrorKind, text: string): Promise<MoncError> {
  let thrown: unknown;
  try {
    await f();
  } catch (e) {
    thrown = e;
  }
  return checkedMoncError(thrown, kind, text);
}

/** The same, thrown synchronously by `f` (a check that must run before anything is recorded). */
export function expectMoncErrorNow(f: () => unknown, kind: ErrorKind, text: string): MoncError {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  return checkedMoncError(thrown, kind, text);
}
