/**
 * Argument checks of the library's entry points (what `monc` exports): a value of the wrong kind
 * passed from JavaScript is one MoncError of kind `user` naming the function, the argument and
 * the value (`compileMap: dtype must be 'f32' or 'f16', got "f64"`), never a TypeError from deep
 * inside or an option silently ignored.
 */
import { describeValue } from './describe-value.js';
import { MoncError } from './error.js';
import { checkOptionNames } from './option-names.js';

/** `fn: what, got value`, kind user. */
export function argumentError(fn: string, what: string, value: unknown): MoncError {
  return new MoncError('user', `${fn}: ${what}, got ${describeValue(value)}`);
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

type FieldKind = 'function' | 'boolean' | 'string';
const EXPECTED: Record<FieldKind, string> = { function: 'a function', boolean: 'true or false', string: 'a string' };

/** An options argument: absent, or an object whose `fields`, where present, are of their kind. */
export function checkOptionFields(fn: string, options: unknown, fields: Readonly<Record<string, FieldKind>>): void {
  if (options === undefined) return;
  if (!isRecord(options)) throw argumentError(fn, 'options must be an object', options);
  for (const [name, kind] of Object.entries(fields)) {
    const value = options[name];
    if (value !== undefined && typeof value !== kind) throw argumentError(fn, `${name} must be ${EXPECTED[kind]}`, value);
  }
}

/** `checkOptionNames` for an options argument that may be absent or not an object (checkOptionFields refuses those). */
export function refuseUnknownOptions(fn: string, options: unknown, known: readonly string[]): void {
  if (isRecord(options)) checkOptionNames(fn, options, known);
}

/** Target limits (deviceTargetLimits(device), DEFAULT_LIMITS): a workgroup size and storage of at least 1, feature names. */
export function checkLimitsArgument(fn: string, limits: unknown): void {
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 1;
  if (!(isRecord(limits) && count(limits.maxWorkgroupSize) && count(limits.maxWorkgroupStorageBytes) && Array.isArray(limits.features) && limits.features.every((f) => typeof f === 'string'))) {
    throw argumentError(fn, "limits must be the device's target limits (deviceTargetLimits(device), or DEFAULT_LIMITS)", limits);
  }
}
