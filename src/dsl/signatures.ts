/**
 * The arguments each constructor and each sparsity pattern accepts. Every constructor also
 * accepts `in:` and `out:` (its sizes, when the context does not give them). All tables are
 * `Map`s: names come from user input, and a plain object would answer `toString` or
 * `__proto__` from its prototype.
 */
import { MAX_FACTORS } from './limits.js';

/**
 * int: an integer expression; block: an integer or a list of two; ints: a non-empty list of
 * integers; word: one of `words`; fraction: a decimal or integer in (0, 1]; pattern: a mask path
 * string or a pattern call.
 */
export type ArgType = 'int' | 'block' | 'ints' | 'word' | 'fraction' | 'pattern';

export interface ParamSig {
  readonly type: ArgType;
  readonly required?: boolean;
  /** Smallest allowed integer (for int, block and ints). */
  readonly min?: number;
  /** Largest allowed integer (for int). */
  readonly max?: number;
  /** Most items of a list (for ints). */
  readonly maxItems?: number;
  readonly words?: readonly string[];
}

export interface CallSig {
  readonly params: ReadonlyMap<string, ParamSig>;
  /** Names given, in order, to positional arguments; constructors without it take named arguments only. */
  readonly positional?: readonly string[];
}

const size: ParamSig = { type: 'int', min: 1 };
const sized = (params: Record<string, ParamSig>, positional?: readonly string[]): CallSig => ({
  params: new Map([...Object.entries(params), ['in', size], ['out', size]]),
  ...(positional ? { positional } : {}),
});
const plain = (params: Record<string, ParamSig>): CallSig => ({ params: new Map(Object.entries(params)) });

export const constructors: ReadonlyMap<string, CallSig> = new Map(Object.entries({
  dense: sized({}),
  diag: sized({}),
  ks: sized({
    a: { type: 'int', required: true, min: 1 },
    b: { type: 'int', required: true, min: 1 },
    c: { type: 'int', required: true, min: 1 },
    d: { type: 'int', required: true, min: 1 },
  }),
  blockdiag: sized({ nblocks: { type: 'int', required: true, min: 1 } }),
  transpose: sized({ r: { type: 'int', required: true, min: 1 }, c: { type: 'int', required: true, min: 1 } }, ['r', 'c']),
  monarch: sized({
    nblocks: { type: 'int', min: 1 },
    order: { type: 'int', min: 1, max: MAX_FACTORS },
    radix: { type: 'int', min: 2 },
    radices: { type: 'ints', min: 2, maxItems: MAX_FACTORS },
  }),
  butterfly: sized({ radix: { type: 'int', min: 2 }, stride: { type: 'word', words: ['increasing', 'decreasing'] } }),
  lowrank: sized({ rank: { type: 'int', required: true, min: 1 } }),
  sparse: sized({ block: { type: 'block', required: true, min: 1 }, pattern: { type: 'pattern', required: true } }),
  bias: sized({}),
}));

export const patterns: ReadonlyMap<string, CallSig> = new Map(Object.entries({
  flat_butterfly: plain({ factors: { type: 'int', required: true, min: 1 } }),
  band: plain({ width: { type: 'int', required: true, min: 1 } }),
  random: plain({ density: { type: 'fraction', required: true }, seed: { type: 'int', required: true, min: 0 } }),
}));
