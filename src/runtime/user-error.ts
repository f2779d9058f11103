import { deviceError, MoncError } from '../util/error.js';
import { oneLine } from '../util/json.js';
import { userError } from '../util/option-names.js';
import { shown, typeName } from '../util/shown.js';

export { userError };
// How a refused value is shown: one rule for the runtime's messages and the compiler's (util/shown.ts).
export { shown, typeName };

/**
 * Whether a caller's value is an object as one is written for options or tensors by name: `{ … }` (or one with no
 * prototype), not an object of a class. An Array, a Map, a Date or a typed array has no such fields to read: each read as
 * the empty options it looked like (QA2 s30 Q955, s31 Q1051), and is refused by its class instead. The prototype is
 * any realm's Object.prototype (the one whose own prototype is null): `{ … }` made in an iframe's page or a node:vm
 * context is plain too (REV31-1: it was refused as 'options must be an object, got object').
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value == null) return false;
  // (No typeof test: a primitive's prototype is its wrapper's, a function's Function.prototype; theirs is Object.prototype.)
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * The refusal of an argument or option of a map's call (kind 'user'): `map '<name>': <what>
 * must be <expects>, got <got>`, `got` shown as shown() shows a value. One formatter for the runner's many such checks:
 * each one's message is then a few words in every page's bundle. (shown()'s rule is written out here: calling it costs
 * every page 28 bytes more; a test holds the two to the same text.)
 */
export function mustBe(mapName: string, what: string, expects: string, got: unknown): MoncError {
  const type = typeof got;
  return userError(`map '${mapName}': ${what} must be ${expects}, got ${oneLine(type == 'string' || type == 'bigint' ? `'${got}' (a ${type})` : got instanceof Error || Object(got) !== got ? String(got) : typeName(got))}`);
}

/**
 * What a call threw while it made host arrays for `what` (a Float32Array copy of the caller's arrays `x`, or a result:
 * `x` then none, []), as the error to report. A RangeError is the host refusing their memory: kind 'device', as memory
 * the device refuses is (REV s18 4; its message says so, `RangeError: Array buffer allocation failed`). Anything else is
 * the caller's (kind 'user': a BigInt, a valueOf that throws; QA2 s18 R73) only where converting `x` to numbers again
 * fails too, and then says what that conversion threw; otherwise it is returned as it is (the runtime's own refusals,
 * MoncErrors already; a bug of monc), never blamed on the caller.
 */
export function arrayError(mapName: string, what: string, e: unknown, x: ArrayLike<number>): unknown {
  if (e instanceof RangeError) return deviceError(`map '${mapName}': ${what}: ${e}`);
  try {
    // A typed array whose buffer was transferred (postMessage(x, [x.buffer]) to a Worker) holds no values and throws on
    // any read: the engine's TypeError says it is detached (QA2 s23 Q257: it was thrown bare).
    (x as Float32Array).at?.(0);
    // Each element as float32 storage takes it (unary plus: Number() would take a BigInt), with no array made.
    [].forEach.call(x as never, (v: number) => +v);
    return e;
  } catch (conversion) {
    return mustBe(mapName, what, 'numbers', conversion);
  }
}

// Refusing option names a call does not know: one message for the runtime and the compiler (util/option-names.ts).
export { checkOptionNames } from '../util/option-names.js';

