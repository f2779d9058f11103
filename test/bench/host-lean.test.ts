// bench/host-lean.ts (host-path.ts' lean:map:R and lean:wb:R modes): the hand-made chunked round trip writes
// forward's result into `out` both ways (x through mapped upload buffers, or queue.writeBuffer), call after call on
// the same buffers, in chunks that do not divide the batch, against the float64 program executor (relative error
// < 1e-5, f32 kernels on SwiftShader), and times each of its per-chunk CPU parts once per chunk of every call.
import { describe, expect, it } from 'vitest';
import { leanPipeline } from '../../bench/host-lean.js';
import { hostRunner, randomArray, relativeError } from '../../bench/host-modes.js';
import { nodeGpu } from '../../bench/node-gpu.js';
import { executeProgram } from '../../src/runtime/cpu-executor.js';

describe('leanPipeline', () => {
  it.each(['map', 'wb'] as const)('%s: every chunk of the result against float64, twice over', async (way) => {
    const { device } = await nodeGpu();
    const { runner, map, program, packed, random } = await hostRunner(device, 'module lean\nmap m : 64 -> 64 = monarch(nblocks: 8)\n', 'untuned');
    try {
      const batch = 10;
      const x = randomArray(batch * map.in, random);
      const want = executeProgram(program, packed, x, batch);
      const out = new Float32Array(batch * map.out);
      const lean = leanPipeline(device, runner, x, batch, 4, way, out);
      try {
        for (let call = 0; call < 2; call++) {
          out.fill(Number.NaN);
          const y = await lean.mode((body) => body());
          expect(y).toBe(out);
          expect(relativeError(y, want)).toBeLessThan(1e-5);
        }
        // 3 chunks (4 + 4 + 2 rows) a call: every part timed once a chunk of each call (6 samples), cleared once read.
        const parts = ['copyOut', 'mapCalls', 'record', 'send', 'submit', 'wait'];
        const cpu = lean.cpu();
        expect(Object.keys(cpu.ms).sort()).toEqual(parts);
        expect(cpu.samples).toEqual(Object.fromEntries(parts.map((part) => [part, 6])));
        for (const ms of Object.values(cpu.ms)) expect(ms).toBeGreaterThanOrEqual(0);
        expect(Object.values(lean.cpu().samples)).toEqual([0, 0, 0, 0, 0, 0]);
      } finally {
        lean.destroy();
      }
    } finally {
      runner.destroy();
    }
  });
});
