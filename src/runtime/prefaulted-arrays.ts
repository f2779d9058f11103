/**
 * Result arrays for `forward(x)` in Node whose memory helper threads have already touched.
 *
 * Why: a new array of several MiB is memory the process has never touched, and every 4 KiB page
 * of it costs a page fault at its first write. On session 21's H200 machine writing a new 64 MiB
 * array took 30.2 ms where copying 64 MiB into one written before took 10.0 (bench/host-path.ts,
 * newArrayTouchMs and copyJsToJsMs); at 512 rows of 4096 f32 (8 MiB) `forward(x)` took 2.82 ms
 * and `forward(x, { out })` 1.52: the faults, not the GPU, made forward(x) twice as slow. A page
 * is faulted in once for the whole process, whichever thread writes it first: so worker threads
 * make the arrays, write a byte of each page, and hand them over (transferred, no copy); the
 * call that copies the result out then writes memory already mapped. The caller still gets a new
 * array of its own, exactly batch x out values (a fresh ArrayBuffer, shared with nothing).
 *
 * Arrays are made ahead for a size asked for twice within `idleMs` (a one-off call, `monc run`'s,
 * or calls seconds apart start no thread and make nothing they will not use: starting the two
 * threads took 39 ms on a loaded 2-core machine). Only that size is kept, at most `depth` arrays
 * ready or in the making, of at most `maxBytes` each (larger results are made at the call): at
 * most depth x maxBytes ahead. When no call comes for `idleMs`, the arrays ready go back to a
 * thread and the threads end, which frees them (dropped here they would wait for a garbage
 * collection, which an idle process may never run): an idle process holds neither memory nor
 * threads for this. Arrays of a size no longer asked for go back to a thread too. Results below
 * `minBytes` are made at the call, as before (few pages: the hand-over would cost more). When no
 * array is ready (the first two calls of a size, or calls faster than the threads) the call
 * makes its own. A thread that cannot start or fails (an allocation it could not make) turns this
 * off for the process; nothing fails because of it.
 *
 * Node only: `monc/runtime/node` makes the process's arrays with Node's worker threads
 * (node-prefault.ts, node-device.ts's startWorker) and installs them into the pipelined round
 * trip's result arrays (pipelined-forward.ts); a browser page never bundles it.
 */

/** What a helper thread is to this file (a Node Worker is one). */
export interface HelperThread {
  postMessage(value: unknown, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', listener: (buffer: ArrayBuffer) => void): unknown;
  on(event: 'error' | 'exit', listener: () => void): unknown;
  removeAllListeners(): unknown;
  unref(): void;
  terminate(): Promise<number>;
}

/** When arrays are made ahead, and how many are kept: data, not constants in the logic. */
export interface PrefaultPlan {
  /** Results of fewer bytes are made at the call. */
  readonly minBytes: number;
  /** Results of more bytes are made at the call: at most depth x maxBytes are made ahead. */
  readonly maxBytes: number;
  /** Arrays of the last size asked for kept ready or in the making. */
  readonly depth: number;
  /**
   * Helper threads, each making one array at a time: one thread faults pages about as fast as the
   * calling thread did, which is as long as a whole forward(x) at 512 rows of 4096 f32 took
   * without them (1.35 of 2.82 ms, above), so calls back to back need two to keep up.
   */
  readonly threads: number;
  /**
   * Two calls of a size this close (ms) start making arrays ahead; this long after the last call
   * the arrays ready are freed and the threads end.
   */
  readonly idleMs: number;
  /**
   * Bytes between the values a helper writes (a multiple of 4): 4096, a value in each 4 KiB (the
   * smallest page size: every page is written whatever the system's); 4, every value. Every value
   * lost (session 28's confirm call, H100, 512 rows of 4096 f32: forward(x) 2.93-3.45 ms against
   * 2.15-2.67, the result copied into such an array 1.03 ms against 0.91, and two threads kept up
   * with 17-19 calls of 30; bench/host-path.ts fresh:filled).
   */
  readonly touchStride: number;
}

// maxBytes 64 MiB: 4096 rows of 4096 f32, the largest batch timed (at most 128 MiB ahead).
export const PREFAULT_PLAN: PrefaultPlan = { minBytes: 1 << 20, maxBytes: 64 << 20, depth: 2, threads: 2, idleMs: 2000, touchStride: 4096 };

/** The helper thread's code: an array of the bytes asked for (a multiple of 4), a value written every `stride` bytes, handed over. */
const helperCode = (stride: number) => `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (bytes) => {
  // Arrays given back (not a size) are left to this thread's collector, or freed with the thread.
  if (typeof bytes !== 'number') return;
  const buffer = new ArrayBuffer(bytes);
  const view = new Int32Array(buffer);
  for (let i = 0; i < view.length; i += ${stride / 4}) view[i] = 0;
  parentPort.postMessage(buffer, [buffer]);
});`;

export class PrefaultedArrays {
  #helpers: HelperThread[] = [];
  /** Requests so far: the next goes to helper #asked mod threads. */
  #asked = 0;
  #off = false;
  /** The byte size arrays are made for (asked for twice in a row; 0: none, or the ready ones were dropped). */
  #bytes = 0;
  /** The byte size the last call asked for, and when (performance.now()). */
  #lastAsked = 0;
  #lastAt = 0;
  #ready: ArrayBuffer[] = [];
  /** Arrays of #bytes asked of the helpers and not yet arrived. */
  #making = 0;
  #idle: ReturnType<typeof setTimeout> | undefined;
  /** Arrays handed out ready, and calls of a size this serves that found none ready (they made their own). */
  readonly counts = { ready: 0, missed: 0 };

  constructor(
    /** Starts a thread running the given code (node-device.ts's startWorker). */
    private readonly startThread: (code: string) => HelperThread,
    readonly plan: PrefaultPlan = PREFAULT_PLAN,
  ) {}

  /** Arrays ready now. */
  get readyCount(): number {
    return this.#ready.length;
  }

  /** Helper threads started. */
  get threadCount(): number {
    return this.#helpers.length;
  }

  /**
   * A new array of `count` float32 values whose pages are mapped, or undefined (the caller makes
   * one): outside minBytes..maxBytes, none ready, or the helpers off. From the second call of a
   * size within idleMs on, asks the helpers for the next ones.
   */
  take(count: number): Float32Array | undefined {
    const bytes = count * 4;
    if (bytes < this.plan.minBytes || bytes > this.plan.maxBytes || this.#off) return undefined;
    const now = performance.now();
    const again = bytes === this.#lastAsked && now - this.#lastAt < this.plan.idleMs;
    this.#lastAsked = bytes;
    this.#lastAt = now;
    if (bytes !== this.#bytes) {
      // Another size: the ready arrays go back (arrays still on their way too, as they arrive).
      this.#bytes = again ? bytes : 0;
      this.#giveBack(this.#ready);
      this.#ready = [];
      this.#making = 0;
    }
    const buffer = this.#ready.pop();
    if (buffer) this.counts.ready++;
    else this.counts.missed++;
    if (this.#bytes) this.#askAhead();
    return buffer && new Float32Array(buffer);
  }

  #askAhead(): void {
    const helpers = this.#started();
    while (helpers.length > 0 && this.#ready.length + this.#making < this.plan.depth) {
      helpers[this.#asked++ % helpers.length].postMessage(this.#bytes);
      this.#making++;
    }
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.#drop(), this.plan.idleMs);
    // The timer never keeps the process alive.
    this.#idle.unref();
  }

  /** The helper threads, started when arrays are first asked for, and again after they ended (unref'd: they never keep the process alive); none once one failed. */
  #started(): HelperThread[] {
    if (this.#helpers.length > 0 || this.#off) return this.#helpers;
    try {
      while (this.#helpers.length < this.plan.threads) {
        const helper = this.startThread(helperCode(this.plan.touchStride));
        this.#helpers.push(helper);
        helper.on('message', (buffer: ArrayBuffer) => this.#arrived(buffer));
        helper.on('error', () => this.#stop());
        helper.on('exit', () => this.#stop());
        // After the listeners: adding a 'message' listener refs the thread's port again, and the process would never exit.
        helper.unref();
      }
    } catch {
      this.#stop();
    }
    return this.#helpers;
  }

  #arrived(buffer: ArrayBuffer): void {
    // An array of a size no longer asked for goes back.
    if (buffer.byteLength !== this.#bytes || this.#ready.length >= this.plan.depth) return this.#giveBack([buffer]);
    this.#making = Math.max(0, this.#making - 1);
    this.#ready.push(buffer);
  }

  /** Hands `buffers` to a helper (transferred: detached here), whose collector or end frees them. */
  #giveBack(buffers: ArrayBuffer[]): void {
    const helper = this.#helpers[0];
    if (helper && buffers.length > 0) helper.postMessage(buffers, buffers);
  }

  /** No call for idleMs: the arrays ready are freed with the threads, which end; the sizes are forgotten. */
  #drop(): void {
    this.#giveBack(this.#ready);
    this.#ready = [];
    this.#making = 0;
    this.#bytes = 0;
    this.#lastAsked = 0;
    // (Their listeners first: an ending thread's 'exit' is not a failure. An error the thread raises before it ends, one
    // already on its way, still needs a listener: without one Node would end the process.)
    for (const helper of this.#helpers.splice(0)) {
      helper.removeAllListeners();
      helper.on('error', () => undefined);
      void helper.terminate();
    }
  }

  /** Turns this off for the process: a helper failed, or could not start. */
  #stop(): void {
    this.#off = true;
    this.#drop();
  }
}

