/**
 * Reusable work buffers for the per-block kernels: Monarch projection solves thousands of small
 * problems, and a fresh 32 KiB array per block and step keeps the garbage collector busy. A slot
 * is owned by one kernel (single-threaded, no reentrancy), its contents are garbage on entry.
 */
const slots = new Map<string, Float64Array>();

export function scratch(slot: string, length: number): Float64Array {
  let buffer = slots.get(slot);
  if (!buffer || buffer.length < length) {
    buffer = new Float64Array(Math.max(length, 2 * (buffer?.length ?? 0)));
    slots.set(slot, buffer);
  }
  return buffer;
}
