/**
 * How a message shows a value a caller gave where another kind was due: the runtime's refusals (runtime/user-error.ts
 * re-exports these) and the compiler's that quote a caller's value (a mask's element from resolveMask) use one rule.
 */
import { oneLine } from './json.js';

/**
 * How messages name a value of the wrong kind a caller passed: an object or function by its class (`GPUDevice`,
 * `Promise`, `Float32Array`, `Function`), else `null` or its typeof (`object` for a plain object or one with no
 * prototype, `undefined`, `number`). The recorder checks said `[object GPUDevice]`, others `object` for any object
 * (QA2 s24 Q352). No article ('a GPUDevice'): 'an Array' would cost every page the bytes of choosing it.
 */
export function typeName(value: unknown): string {
  const name = value instanceof Object && value.constructor?.name;
  return name && name != 'Object' ? name : value === null ? 'null' : typeof value;
}

/**
 * A caller's value in a message: a string or a BigInt quoted and said to be one (`'2' (a string)`, `'2' (a bigint)`, where
 * 2 would pass for a number, 'cpu' for the valid value; QA2 s23 Q258, REV s25 1), an object by its class (typeName:
 * `Array`, `object`, where String() said `[object Object]` or `cpu` for ['cpu']), an error by its text (`TypeError:
 * ...`, what a conversion threw), anything else as it is (`2.5`, `undefined`).
 */
export function shown(value: unknown): string {
  const type = typeof value;
  return oneLine(type == 'string' || type == 'bigint' ? `'${value}' (a ${type})` : value instanceof Error || Object(value) !== value ? String(value) : typeName(value));
}
