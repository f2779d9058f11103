/**
 * The host copies inside a round trip, measured where they run (host-path.ts --split-copies):
 * every TypedArray.prototype.set of at least `minBytes` is timed while the split counts, as a copy
 * in (its source is x: forward's write of x into the mapped upload buffers, a staging's fill) or a
 * copy out (any other source: the mapped result copied into forward's result array or `out`).
 * The phases (host-path.ts phaseMs) time the same copies alone, outside a call; inside one, the
 * destination differs (forward(x)'s result arrays are new memory, `out` is reused) and a garbage
 * collection may run: comparing the two says whether forward(x)'s time above forward(x, { out })
 * is in its copy out or elsewhere.
 */
type Set = (this: ArrayLike<number>, source: ArrayLike<number>, offset?: number) => void;

const prototype = Object.getPrototypeOf(Float32Array.prototype) as { set: Set };
const builtinSet = prototype.set;

/** One side's copies since the last take(). */
interface Copies {
  ms: number;
  count: number;
  bytes: number;
}

const none = (): Copies => ({ ms: 0, count: 0, bytes: 0 });

/** Large copies in and out since the last take(). */
export class CopySplit {
  #in = none();
  #out = none();
  #on = false;

  constructor(
    /** The input: a copy from its buffer is a copy in. */
    private readonly x: Float32Array,
    private readonly minBytes = 1 << 18,
  ) {}

  /** Puts the timing wrapper in place of TypedArray.prototype.set, for this split; stop() puts the builtin back. */
  start(): void {
    const split = this;
    prototype.set = function (this: ArrayLike<number>, source: ArrayLike<number>, offset?: number) {
      const bytes = ArrayBuffer.isView(source) ? source.byteLength : 0;
      if (!split.#on || bytes < split.minBytes) return builtinSet.call(this, source, offset);
      const t = performance.now();
      builtinSet.call(this, source, offset);
      const side = (source as Float32Array).buffer === split.x.buffer ? split.#in : split.#out;
      side.ms += performance.now() - t;
      side.count++;
      side.bytes += bytes;
    };
  }

  stop(): void {
    prototype.set = builtinSet;
  }

  /** Counts from now (on) or stops counting (off). */
  count(on: boolean): void {
    this.#on = on;
  }

  /** The copies since the last take(), and resets. */
  take(): { in: Copies; out: Copies } {
    const taken = { in: this.#in, out: this.#out };
    this.#in = none();
    this.#out = none();
    return taken;
  }
}
