/**
 * What the peers' layers have in common: each is a chain of Kronecker-sparse factors K(a,b,c,d)
 * (docs/language.md), applied first to last, with weights stored in the (a·d, b, c) layout monc
 * uses too, plus an optional bias. A peer reader (fly.ts, torch-butterfly.ts, ksmm.ts) turns a
 * state dict into this form; convert.ts matches it against a map's lowered IR.
 */
import { describeValue } from '../util/describe-value.js';
import { MoncError } from '../util/error.js';
import { shapeText } from '../util/shape-text.js';

/** The tensors of a safetensors state dict, by name. */
export type StateDict = ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: ArrayLike<number> }>;

export interface PeerFactor {
  /** K(a, b, c, d): maps a·c·d to a·b·d. */
  readonly pattern: readonly [number, number, number, number];
  /** a·d·b·c weights in the (a·d, b, c) layout. */
  readonly data: ArrayLike<number>;
  /** Where it came from, for messages: `fc1.blkdiag1`, `twiddle[0, 0, 2]`. */
  readonly from: string;
}

export interface PeerLayer {
  /** The peer and its layer class, for messages: `fly MonarchLinear`. */
  readonly kind: string;
  /** Factors in application order. */
  readonly factors: readonly PeerFactor[];
  readonly bias?: { readonly data: ArrayLike<number>; readonly from: string };
  /** The `.mon` map (without bias) that matches the layer: `48 -> 64 = monarch(nblocks: 4)`. */
  readonly mon: string;
}

/** `n -> m = ks(…) @ … @ ks(…)`: the factors as written in `.mon` (the last applied leftmost). */
export function ksChainMon(factors: readonly PeerFactor[]): string {
  const [a0, , c0, d0] = factors[0].pattern;
  const [a1, b1, , d1] = factors[factors.length - 1].pattern;
  const chain = [...factors].reverse().map(({ pattern: [a, b, c, d] }) => `ks(a: ${a}, b: ${b}, c: ${c}, d: ${d})`);
  return `${a0 * c0 * d0} -> ${a1 * b1 * d1} = ${chain.join(' @ ')}`;
}

/** A state dict or map that does not fit the conversion; the message says what and why. */
export class InteropError extends MoncError {
  override readonly name = 'InteropError';
  constructor(message: string) {
    super('interop', message);
  }
}

// The one shape formatter, for this file's importers too.
export { shapeText };

export function patternText(p: readonly number[]): string {
  return `K(${p.join(', ')})`;
}

type StateTensor = { readonly shape: readonly number[]; readonly data: ArrayLike<number> };

/** The layer's tensor `name` (under the prefix), or an error naming what the state dict holds. */
export function tensorOf(state: StateDict, prefix: string, name: string, peer: string): StateTensor {
  const t = entryOf(state, prefix + name);
  if (!t) throw new InteropError(`no tensor '${prefix}${name}' for the ${peer} layer (tensors: ${listNames(state)})`);
  return t;
}

/**
 * The state dict's tensor `key`, if it has one, checked to be what its type says: from JavaScript anything may come (a
 * bare array was a TypeError), and a tensor whose data is shorter than its shape had its missing weights left 0 (QA2
 * s23 Q253). readSafetensors' tensors (the CLI's) always fit.
 */
function entryOf(state: StateDict, key: string): StateTensor | undefined {
  const t: unknown = state.get(key);
  if (t === undefined) return undefined;
  const { shape, data } = (t ?? {}) as Partial<StateTensor>;
  const isShape = Array.isArray(shape) && shape.every((n) => Number.isSafeInteger(n) && n >= 0);
  if (!isShape || typeof data?.length !== 'number' || typeof data === 'string') {
    throw new MoncError('user', `the state dict's '${key}' must be a tensor { shape, data } (readSafetensors' tensors are), got ${Array.isArray(t) || ArrayBuffer.isView(t) ? `an array without its shape` : describeValue(t)}`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new InteropError(`peer tensor '${key}' has ${data.length} values; its shape ${shapeText(shape)} holds ${count}`);
  return { shape, data };
}

/**
 * The prefix of the one layer in `state` that has a tensor named `marker` (`blkdiag1`, …): the
 * given one (a trailing dot added when missing), or the only candidate.
 */
export function resolvePrefix(state: StateDict, marker: string, peer: string, given: string | undefined): string {
  if (given !== undefined) return given === '' || given.endsWith('.') ? given : `${given}.`;
  const prefixes = [...state.keys()].filter((k) => k === marker || k.endsWith(`.${marker}`)).map((k) => k.slice(0, k.length - marker.length));
  if (prefixes.length === 1) return prefixes[0];
  if (prefixes.length === 0) throw new InteropError(`no ${peer} layer: no tensor named '${marker}' or '….${marker}' (tensors: ${listNames(state)})`);
  throw new InteropError(`${prefixes.length} ${peer} layers (${prefixes.map((p) => `'${p}'`).join(', ')}): pick one with --prefix`);
}

const LISTED = 12;

function listNames(state: StateDict): string {
  const names = [...state.keys()];
  if (names.length === 0) return 'none';
  return `${names.slice(0, LISTED).join(', ')}${names.length > LISTED ? `, … (${names.length} in all)` : ''}`;
}

/** The bias tensor if the layer has one: `(out,)`, or `(out, 1)` where the peer stores it batch-last. */
export function optionalBias(state: StateDict, prefix: string, out: number, peer: string): PeerLayer['bias'] {
  const t = entryOf(state, `${prefix}bias`);
  if (!t) return undefined;
  const ok = (t.shape.length === 1 && t.shape[0] === out) || (t.shape.length === 2 && t.shape[0] === out && t.shape[1] === 1);
  if (!ok) throw new InteropError(`${prefix}bias has shape ${shapeText(t.shape)}; the ${peer} layer's output has ${out} features, so it should be (${out},)`);
  return { data: t.data, from: `${prefix}bias` };
}
