/**
 * What the host-path benchmarks share for timing buffer mappings in Node: V8's garbage
 * collections (a mapping of 64 MiB or more at once makes V8 collect for external-memory
 * pressure) and getMappedRange's own cost when a buffer is mapped a piece at a time.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';

/** V8's garbage collections as they finish (the observer reports them asynchronously); `major`: a mark-compact (full collection). */
const gcs: { start: number; duration: number; major: boolean }[] = [];
new PerformanceObserver((entries) => {
  for (const e of entries.getEntries()) {
    gcs.push({ start: e.startTime, duration: e.duration, major: (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR });
  }
}).observe({ entryTypes: ['gc'] });

/**
 * Lets the GC observer deliver, then counts the collections that started inside [from, to]: all
 * kinds (scavenges, incremental marking steps, weak callbacks too), and apart the full ones.
 */
export async function gcsBetween(from: number, to: number): Promise<{ gcCount: number; gcMs: number; majorCount: number; majorMs: number }> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  const inside = gcs.filter((g) => g.start >= from && g.start <= to);
  const majors = inside.filter((g) => g.major);
  const ms = (list: typeof gcs) => list.reduce((sum, g) => sum + g.duration, 0);
  return { gcCount: inside.length, gcMs: ms(inside), majorCount: majors.length, majorMs: ms(majors) };
}

/** One pass over `bytes` of a MAP_READ buffer in pieces of `piece` bytes (each mapped, viewed, unmapped): ms spent in getMappedRange. */
export async function piecewiseGetMappedRangeMs(buffer: GPUBuffer, bytes: number, piece: number): Promise<number> {
  let ms = 0;
  for (let offset = 0; offset < bytes; offset += piece) {
    const size = Math.min(piece, bytes - offset);
    await buffer.mapAsync(GPUMapMode.READ, offset, size);
    const t = performance.now();
    buffer.getMappedRange(offset, size);
    ms += performance.now() - t;
    buffer.unmap();
  }
  return ms;
}
