/**
 * The host copies inside a round trip, measured where they run (host-path.ts --split-copies):
 * every TypedArray.prototype.set of at least `minBytes` is timed while the split is on, as a copy
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

/** Milliseconds of large copies in and out since the last take(). */
export class CopySplit {
  #in = 0;
  #out = 0;
  #on = false;

  constructor(
    /** The input: a copy from its buffer is a copy in. */
    private readonly x: Float32Array,
    private readonly minBytes = 1 << 18,
  ) {}

  /** Installs the timing wrapper (once per process: the wrapper reads `current`). */
  start(): void {
    current = this;
    if (prototype.set !== builtinSet) return;
    prototype.set = function (this: ArrayLike<number>, source: ArrayLike<number>, offset?: number) {
      const split = current;
      const bytes = (source as Partial<Float32Array>).byteLength ?? 0;
      if (!split || !split.#on || bytes < split.minBytes) return builtinSet.call(this, source, offset);
      const t = performance.now();
      builtinSet.call(this, source, offset);
      const ms = performance.now() - t;
      if ((source as Float32Array).buffer === split.x.buffer) split.#in += ms;
      else split.#out += ms;
    };
  }

  /** Counts from now (on) or stops counting (off). */
  count(on: boolean): void {
    this.#on = on;
  }

  /** The copies since the last take(), and resets. */
  take(): { inMs: number; outMs: number } {
    const taken = { inMs: this.#in, outMs: this.#out };
    this.#in = this.#out = 0;
    return taken;
  }
}

let current: CopySplit | undefined;
