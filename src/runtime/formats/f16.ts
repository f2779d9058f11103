/**
 * IEEE 754 binary16 ("half") <-> binary32 conversion, bit-exact and platform-independent:
 * float32 -> half rounds to nearest, ties to even, produces subnormals, overflows to ±inf and
 * keeps NaN a (quiet) NaN. Half -> float32 is exact (every half is a float32).
 */
import { checkNumbers } from './arguments.js';

// Pure: a page that never converts one value at a time (f32ToF16Bits) does not bundle it.
const scratch = /* @__PURE__ */ new DataView(/* @__PURE__ */ new ArrayBuffer(4));

/** The half bits (0..0xffff) nearest to `value` once rounded to float32. */
export function f32ToF16Bits(value: number): number {
  scratch.setFloat32(0, value);
  return f32BitsToF16Bits(scratch.getUint32(0));
}

function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  if (exp >= 143) return sign | 0x7c00; // |x| >= 2^16: beyond the largest half even before rounding
  if (exp >= 113) {
    // Normal half: rebias the exponent (127 -> 15) and round away the low 13 mantissa bits. A
    // carry out of the mantissa correctly bumps the exponent, up to 0x7c00 (inf) from 65520 on.
    return sign | roundShift(((exp - 112) << 23) | mant, 13);
  }
  if (exp < 102) return sign; // below 2^-25: rounds to ±0
  // Subnormal half: the 24-bit significand counted in units of 2^-24.
  return sign | roundShift(mant | 0x800000, 126 - exp);
}

/** value >> shift, rounded to nearest with ties to even (shift in 1..24). */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** The value of half bits `h` (exact). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function f32ArrayToF16(values: ArrayLike<number>): Uint16Array {
  // The float32 bits directly: no round trip through a scratch float per element (large buffers).
  const floats = values instanceof Float32Array ? values : Float32Array.from(values);
  const bits = new Uint32Array(floats.buffer, floats.byteOffset, floats.length);
  const out = new Uint16Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToF16Bits(bits[i]);
  return out;
}

/** f32ArrayToF16 as the package exports it: the argument checked first (the runtime's own calls skip that: every page bundles them). */
export function f32ArrayToF16Checked(values: ArrayLike<number>): Uint16Array {
  checkNumbers('f32ArrayToF16', 'values', values);
  return f32ArrayToF16(values);
}

/** Every half's value, by its bits: built on first use (256 KiB), then array conversion is a lookup. */
let halfValues: Float32Array | undefined;

/**
 * Halves as float32 values: `bits` holds the bits of halves (a `Uint16Array`, what safetensors,
 * .npy and onnxruntime-node give), or is a `Float16Array`, which already holds the values
 * (onnxruntime-web's float16 outputs where the browser has it): taken by value, not as bits.
 */
export function f16ArrayToF32(bits: ArrayLike<number>): Float32Array {
  checkNumbers('f16ArrayToF32', 'bits', bits);
  // By its tag: a Float16Array of another realm (a page's frame) is one too; Node 20 has none.
  if (Object.prototype.toString.call(bits) === '[object Float16Array]') return Float32Array.from(bits);
  return f16BitsArrayToF32(bits);
}

/** Halves' bits (a `Uint16Array`, what the device's f16 buffers hold) as float32 values. */
export function f16BitsArrayToF32(bits: ArrayLike<number>): Float32Array {
  if (!halfValues) {
    halfValues = new Float32Array(0x10000);
    for (let h = 0; h < 0x10000; h++) halfValues[h] = f16BitsToF32(h);
  }
  const table = halfValues;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i] & 0xffff];
  return out;
}
