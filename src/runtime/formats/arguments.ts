/**
 * The argument checks of the format functions a program calls (readNpy, writeNpy,
 * readSafetensors, writeSafetensors, the f16 conversions): from JavaScript anything may come,
 * and what is not bytes or numbers is the caller's mistake, one MoncError of kind `user` naming
 * the call and what it got, not a TypeError or a damaged file.
 */
import { shown, typeName, userError } from '../user-error.js';

/** Throws unless `value` is a Uint8Array, the bytes of `what` (`a .npy file`). */
export function checkBytes(call: string, what: string, value: unknown): void {
  if (!(value instanceof Uint8Array)) throw userError(`${call} takes the bytes of ${what} (a Uint8Array), got ${typeName(value)}`);
}

/**
 * Throws unless `value` is an array of numbers (a typed array of numbers, or an Array of numbers), the call's `role`. A
 * BigInt64Array, a DataView or an Array holding a BigInt was a TypeError where its values were read (QA2 s26 Q553), and
 * an Array's strings or nulls were read as numbers. Typed arrays by class name, as typeName gives it.
 */
export function checkNumbers(call: string, role: string, value: unknown): void {
  // An Array is named by its first element that is no number (QA2 s31 Q1052: ['a'] was 'got Array', as if an Array were refused).
  const bad = Array.isArray(value) ? value.findIndex((v) => typeof v != 'number') : -1;
  const numbers = Array.isArray(value) ? bad < 0 : ArrayBuffer.isView(value) && !/^(Big|DataView)/.test(typeName(value));
  if (!numbers) throw userError(`${call}: ${role} must be an array of numbers (a typed array or an Array), got ${bad >= 0 ? `an Array holding ${shown((value as unknown[])[bad])} at [${bad}]` : typeName(value)}`);
}

/** Throws unless `value` is one of `allowed`. */
export function checkOneOf(call: string, role: string, value: unknown, allowed: readonly string[]): void {
  if (!allowed.includes(value as string)) throw userError(`${call}: ${role} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${shown(value)}`);
}
