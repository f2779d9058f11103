/**
 * Why the host round trip's readback is slow: ways of copying a mapped MAP_READ buffer into JS
 * memory, against a copy between two JS arrays of the same size; and what `getMappedRange`
 * itself costs, the whole buffer at once against chunks of --chunk-mib, with the garbage
 * collections V8 ran meanwhile (each mapping is a new ArrayBuffer that Node accounts as V8
 * external memory; 64 MiB at once crosses V8's external-memory limit and starts a collection:
 * src/runtime/pipelined-forward.ts). --heap-mib fills the JS heap with that many MiB of small
 * objects first, as a program holding a compiler or a model does (a collection's cost grows
 * with the heap). Milliseconds, median of 7 (mapping: of 25), per size. One JSON object on --out
 * (else stdout).
 *
 *   node dist/bench/readback-probe.js [--mib 8,64] [--chunk-mib 8] [--heap-mib 40] [--out FILE]
 */
import { writeFileSync } from 'node:fs';
import { gcsBetween, piecewiseGetMappedRangeMs } from './mapping.js';
import { nodeGpu } from './node-gpu.js';

const argv = process.argv.slice(2);
const arg = (flag: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const SIZES_MIB = (arg('--mib') ?? '8,64').split(',').map(Number);
const REPS = 7;
const MAP_REPS = 25;
const CHUNK_BYTES = Number(arg('--chunk-mib') ?? 8) * 2 ** 20;
const HEAP_MIB = Number(arg('--heap-mib') ?? 40);

/** V8's garbage collections as they finish. */
/**
 * getMappedRange of `buffer` in pieces of `piece` bytes (each mapped, viewed, unmapped in turn):
 * median ms per whole pass, and the collections during the passes.
 */
async function mappingCost(buffer: GPUBuffer, bytes: number, piece: number): Promise<{ ms: number; gcCount: number; gcMs: number }> {
  const from = performance.now();
  const samples: number[] = [];
  for (let i = 0; i < MAP_REPS; i++) samples.push(await piecewiseGetMappedRangeMs(buffer, bytes, piece));
  return { ms: median(samples), ...(await gcsBetween(from, performance.now())) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const { device } = await nodeGpu();
  // About 100 bytes per object.
  const ballast = Array.from({ length: HEAP_MIB * 10_000 }, (_, i) => ({ i, s: `row ${i}`, pair: [i, i + 1] }));
  const records = [];
  for (const mib of SIZES_MIB) {
    const bytes = mib * 1024 * 1024;
    const src = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(src, 0, new Float32Array(bytes / 4).fill(1.5));
    const readback = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const e = device.createCommandEncoder();
    e.copyBufferToBuffer(src, 0, readback, 0, bytes);
    device.queue.submit([e.finish()]);
    const ways: Record<string, (range: ArrayBuffer) => void> = {
      slice: (r) => void new Float32Array(r).slice(),
      setIntoNew: (r) => new Float32Array(bytes / 4).set(new Float32Array(r)),
      setIntoNewTwice: (r) => {
        const d = new Float32Array(bytes / 4);
        d.set(new Float32Array(r));
        d.set(new Float32Array(r));
      },
      chunks1MiB: (r) => {
        const d = new Uint8Array(bytes);
        for (let o = 0; o < bytes; o += 1 << 20) d.set(new Uint8Array(r, o, 1 << 20), o);
      },
      sumLoop: (r) => {
        const v = new Float64Array(r);
        let s = 0;
        for (let i = 0; i < v.length; i++) s += v[i];
        if (s === 42) process.stderr.write('');
      },
    };
    const out: Record<string, number> = {};
    for (const [name, way] of Object.entries(ways)) {
      const samples: number[] = [];
      for (let i = 0; i < REPS; i++) {
        await readback.mapAsync(GPUMapMode.READ);
        const range = readback.getMappedRange();
        const t = performance.now();
        way(range);
        samples.push(performance.now() - t);
        readback.unmap();
      }
      out[name] = median(samples);
    }
    const a = new Float32Array(bytes / 4).fill(2);
    const js: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const t = performance.now();
      a.slice();
      js.push(performance.now() - t);
    }
    out.jsToJsSlice = median(js);
    const mapping = { whole: await mappingCost(readback, bytes, bytes), chunked: await mappingCost(readback, bytes, Math.min(bytes, CHUNK_BYTES)) };
    records.push({ mib, ms: out, getMappedRange: mapping, chunkMib: CHUNK_BYTES / 2 ** 20 });
    process.stderr.write(`${mib} MiB getMappedRange: ${JSON.stringify(mapping)}\n`);
    process.stderr.write(`${mib} MiB: ${JSON.stringify(out)}\n`);
    src.destroy();
    readback.destroy();
  }
  const json = JSON.stringify({ date: new Date().toISOString(), reps: REPS, heapMib: HEAP_MIB, heapObjects: ballast.length, records }, null, 1) + '\n';
  if (arg('--out')) writeFileSync(arg('--out')!, json);
  else process.stdout.write(json);
  device.destroy();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
