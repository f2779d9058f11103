/**
 * Default parameter initialisation (SPEC §5 `monc init`): every tensor uniform in
 * [-1/√fanIn, 1/√fanIn), as PyTorch's nn.Linear does for its weight (and bias).
 *
 * Determinism: the values depend only on (seed, tensor name, shape, fanIn), are computed with
 * 32-bit integer arithmetic and correctly rounded float operations only, and so are the same
 * bytes on every platform and JavaScript engine. Each tensor draws from its own stream, so
 * adding or reordering maps in a module never changes the values of the others.
 *
 * The generator, exactly:
 *   key   = FNV-1a-32(UTF-8 bytes of the tensor name)
 *   state = splitmix32 seeding of xoshiro128**: four successive outputs of splitmix32 started at
 *           (seedLow32 ^ key) + 0x9e3779b9·seedHigh32 (mod 2^32), where seed = seedHigh32·2^32 + seedLow32
 *   u_i   = (xoshiro128**() >>> 8) / 2^24          (24 random bits in [0, 1))
 *   v_i   = float32((2·u_i − 1) · (1 / sqrt(fanIn)))
 */
import type { ParamSpec } from '../model/types.js';
import { isRecord } from '../util/library-arguments.js';
import { shown, typeName, userError } from './user-error.js';

export function initParams(params: readonly ParamSpec[], seed: number): Map<string, Float32Array> {
  // From JavaScript (monc exports it): anything but a list of parameter specs is named, not a TypeError deeper in (QA2 s12 R10).
  const spec = (p: unknown) => isRecord(p) && typeof p.name === 'string' && Array.isArray(p.shape) && typeof p.fanIn === 'number';
  const given: unknown = params;
  if (!(Array.isArray(given) && given.every(spec))) throw userError(`initParams(params, seed) takes a map's parameter specs (model.params: name, shape, fanIn), got ${typeName(params)}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw userError(`seed must be a non-negative integer, got ${shown(seed)}`);
  const out = new Map<string, Float32Array>();
  for (const p of params) {
    const next = xoshiro128ss(seedState(seed, p.name));
    const bound = 1 / Math.sqrt(p.fanIn);
    const values = new Float32Array(p.shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = (2 * ((next() >>> 8) / 0x1000000) - 1) * bound;
    out.set(p.name, values);
  }
  return out;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) h = Math.imul(h ^ byte, 0x01000193);
  return h >>> 0;
}

function seedState(seed: number, name: string): Uint32Array {
  const high = Math.floor(seed / 2 ** 32);
  let s = (((seed >>> 0) ^ fnv1a(name)) + Math.imul(0x9e3779b9, high)) >>> 0;
  const state = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    // splitmix32
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    state[i] = (z ^ (z >>> 16)) >>> 0;
  }
  return state;
}

/** xoshiro128** (Blackman & Vigna): a 32-bit generator with a 128-bit state. */
function xoshiro128ss(s: Uint32Array): () => number {
  const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));
  return () => {
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
}
