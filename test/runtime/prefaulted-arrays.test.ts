/**
 * PrefaultedArrays (src/runtime/prefaulted-arrays.ts): result arrays made ahead by a helper thread.
 * Outside minBytes..maxBytes nothing is made; the first call of a size finds none ready and starts
 * nothing, the second within idleMs (none ready either) starts the helpers, which make `depth` of
 * them (calls further apart start nothing); each array handed out is new (its own ArrayBuffer of exactly the bytes asked
 * for, zeros, shared with no other); a new size drops the ready ones of the old; idleMs after the
 * last call the threads end, and the memory of the arrays ready is freed without a garbage
 * collection. The helpers never keep a process alive.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { startWorker } from '../../src/runtime/node-device.js';
import { PrefaultedArrays, type HelperThread } from '../../src/runtime/prefaulted-arrays.js';
import { transpileForNode } from '../support/transpile-for-node.js';

/**
 * Runs `body` as an ES module in a child Node process, after PrefaultedArrays (transpiled from the source) and `start`
 * (a helper thread from code, as node-device.ts starts one) are in scope; its exit status, signal and output.
 */
function inChild(body: string, timeout: number): SpawnSyncReturns<string> {
  const root = resolve(__dirname, '../..');
  const dir = mkdtempSync(join(tmpdir(), 'monc-prefault-'));
  try {
    const lib = transpileForNode(dir, join(root, 'src/runtime/prefaulted-arrays.ts'));
    const script = `const { PrefaultedArrays } = await import(${JSON.stringify(join(lib, root, 'src/runtime/prefaulted-arrays.js'))});
      const { Worker } = await import('node:worker_threads');
      const start = (code) => new Worker(code, { eval: true, execArgv: [] });
      ${body}`;
    return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A helper thread that runs nothing (a test of the code PrefaultedArrays gives its threads). */
const fakeThread = (): HelperThread => ({ postMessage: () => undefined, on: () => undefined, removeAllListeners: () => undefined, unref: () => undefined, terminate: async () => 0 });

const PLAN = { minBytes: 1 << 16, maxBytes: 1 << 22, depth: 2, threads: 2, idleMs: 60_000, touchStride: 4096 };
const COUNT = 1 << 15;
/** How long to wait for the helpers' arrays (threads starting on a loaded machine: 1 s was too short beside other test files). */
const ARRIVAL = { timeout: 30_000 };

describe('PrefaultedArrays', () => {
  it('makes nothing below minBytes or above maxBytes', () => {
    const arrays = new PrefaultedArrays(startWorker, PLAN);
    for (const count of [PLAN.minBytes / 4 - 1, PLAN.maxBytes / 4 + 1]) {
      expect(arrays.take(count)).toBeUndefined();
      expect(arrays.take(count)).toBeUndefined();
    }
    expect(arrays.counts).toEqual({ ready: 0, missed: 0 });
    expect(arrays.threadCount).toBe(0);
  });

  it('calls of a size further apart than idleMs start nothing', async () => {
    const arrays = new PrefaultedArrays(startWorker, { ...PLAN, idleMs: 20 });
    expect(arrays.take(COUNT)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(arrays.take(COUNT)).toBeUndefined();
    expect(arrays.threadCount).toBe(0);
  });

  it('hands out arrays the helper made: new, exactly sized, zeros, each its own', async () => {
    const arrays = new PrefaultedArrays(startWorker, PLAN);
    expect(arrays.take(COUNT)).toBeUndefined();
    expect(arrays.counts).toEqual({ ready: 0, missed: 1 });
    // A one-off call starts nothing.
    expect(arrays.threadCount).toBe(0);
    expect(arrays.take(COUNT)).toBeUndefined();
    expect(arrays.threadCount).toBe(PLAN.threads);
    await vi.waitFor(() => expect(arrays.readyCount).toBe(PLAN.depth), ARRIVAL);
    const a = arrays.take(COUNT)!;
    const b = arrays.take(COUNT)!;
    expect(arrays.counts).toEqual({ ready: 2, missed: 2 });
    for (const y of [a, b]) {
      expect(y).toBeInstanceOf(Float32Array);
      expect(y.length).toBe(COUNT);
      expect(y.buffer.byteLength).toBe(COUNT * 4);
      expect(y.buffer).toBeInstanceOf(ArrayBuffer);
      expect(y.every((v) => v === 0)).toBe(true);
    }
    expect(a.buffer).not.toBe(b.buffer);
    a.fill(1);
    expect(b[0]).toBe(0);
    // The two taken were asked for again.
    await vi.waitFor(() => expect(arrays.readyCount).toBe(PLAN.depth), ARRIVAL);
  });

  it('its helpers write a value every touchStride bytes of an array (4096: one a page; 4: all of them)', () => {
    for (const [touchStride, written] of [
      [4096, [0, 1024, 2048, 3072]],
      [4, Array.from({ length: 4096 }, (_, i) => i)],
    ]) {
      // The helper's code run here with a parentPort and an Int32Array that record what it posts and where it writes.
      let code = '';
      const arrays = new PrefaultedArrays((c) => ((code = c), fakeThread()), { ...PLAN, minBytes: 4, touchStride: touchStride as number });
      arrays.take(8);
      arrays.take(8);
      const writes: number[] = [];
      const posted: ArrayBuffer[] = [];
      let onMessage: (bytes: unknown) => void = () => undefined;
      const port = { on: (_: string, f: typeof onMessage) => (onMessage = f), postMessage: (b: ArrayBuffer) => posted.push(b) };
      const Recording = function (buffer: ArrayBuffer) {
        return new Proxy(new Int32Array(buffer), { get: (target, key) => Reflect.get(target, key), set: (target, key, value) => (writes.push(Number(key)), Reflect.set(target, key, value)) });
      };
      new Function('require', 'Int32Array', code)(() => ({ parentPort: port }), Recording);
      onMessage(16384);
      expect(writes).toEqual(written);
      expect(posted.map((b) => b.byteLength)).toEqual([16384]);
    }
  });

  it('keeps only the size last asked for', async () => {
    const arrays = new PrefaultedArrays(startWorker, PLAN);
    arrays.take(COUNT);
    arrays.take(COUNT);
    await vi.waitFor(() => expect(arrays.readyCount).toBe(PLAN.depth), ARRIVAL);
    expect(arrays.take(2 * COUNT)).toBeUndefined();
    expect(arrays.readyCount).toBe(0);
    expect(arrays.take(2 * COUNT)).toBeUndefined();
    await vi.waitFor(() => expect(arrays.readyCount).toBe(PLAN.depth), ARRIVAL);
    expect(arrays.take(2 * COUNT)!.length).toBe(2 * COUNT);
  });

  it('drops the ready arrays idleMs after the last call', async () => {
    // The idle timer on a fake clock (the helper's messages stay real): made, then dropped when idleMs passes.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const arrays = new PrefaultedArrays(startWorker, PLAN);
      arrays.take(COUNT);
      arrays.take(COUNT);
      // (Polled on setImmediate, which is not faked: vi.waitFor would move the fake clock.)
      while (arrays.readyCount < PLAN.depth) await new Promise((resolve) => setImmediate(resolve));
      vi.advanceTimersByTime(PLAN.idleMs - 1);
      expect(arrays.readyCount).toBe(PLAN.depth);
      vi.advanceTimersByTime(1);
      expect(arrays.readyCount).toBe(0);
      expect(arrays.threadCount).toBe(0);
      expect(arrays.take(COUNT)).toBeUndefined();
      expect(arrays.counts).toEqual({ ready: 0, missed: 3 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('never keeps the process alive: a script that took arrays exits once its own work is done', () => {
    const r = inChild(
      `const arrays = new PrefaultedArrays(start, { minBytes: 1024, maxBytes: 1 << 20, depth: 2, threads: 2, idleMs: 60000, touchStride: 4096 });
      arrays.take(1024);
      arrays.take(1024);
      const ready = () => arrays.readyCount === 2 ? console.log('ready', arrays.take(1024).length) : setTimeout(ready, 10);
      ready();`,
      30_000,
    );
    expect(r.signal, 'killed by the timeout: the process did not exit').toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('ready 1024');
  });

  it('frees the arrays ready when idle, with no garbage collection (a child process: its resident memory)', () => {
    // Two arrays of 128 MiB made and handed over (asked again if the threads ended before they came: a loaded machine), then
    // no call for idleMs: once the threads ended, resident memory must fall by them without a collection (none is asked for).
    const r = inChild(
      `const mib = () => process.memoryUsage().rss / 2 ** 20;
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      const size = 128 * 2 ** 20;
      const arrays = new PrefaultedArrays(start, { minBytes: 1024, maxBytes: size, depth: 2, threads: 2, idleMs: 1000, touchStride: 4096 });
      let held;
      while (held === undefined) {
        arrays.take(size / 4);
        arrays.take(size / 4);
        while (arrays.readyCount < 2 && arrays.threadCount > 0) await sleep(10);
        if (arrays.readyCount === 2) held = mib();
      }
      while (arrays.threadCount > 0) await sleep(10);
      const ended = Date.now();
      let after = mib();
      while (after > held - 192 && Date.now() - ended < 10000) await sleep(50), (after = mib());
      console.log(after < held - 192 ? 'freed' : 'held: ' + held.toFixed(0) + ' MiB, then ' + after.toFixed(0));`,
      60_000,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('freed');
  });
});
