/**
 * Hand-built scheduled Programs for kernel tests: ks ops with index maps, bsr ops, bias ops,
 * sums (accumulate), bias epilogues and chains through temporaries, with random parameters.
 * The oracle for them is the float64 CPU executor (src/runtime/cpu-executor.ts).
 */
import { syntheticSpan } from '../../src/dsl/span.js';
import type { AxisPermutation, BufferDecl, IndexMap, Op, ParamLayoutEntry, ParamSlice, Program } from '../../src/ir/ir.js';
import type { Dtype } from '../../src/dsl/structure.js';
import { packParams } from '../../src/runtime/params.js';
import { uniform01 } from '../../src/util/random.js';

export const span = syntheticSpan('<test>');

/** Deterministic uniform [0, 1) generator. */
export const rng = uniform01;

export function randomArray(n: number, random: () => number): Float32Array<ArrayBuffer> {
  return Float32Array.from({ length: n }, () => random() * 2 - 1);
}

export const identity = (size: number): IndexMap => ({ size, steps: [] });

/** A random factorisation of n into `parts` factors (some may be 1). */
function randomShape(n: number, parts: number, random: () => number): number[] {
  const primes: number[] = [];
  let rest = n;
  for (let p = 2; p * p <= rest; p++) while (rest % p === 0) (primes.push(p), (rest /= p));
  if (rest > 1) primes.push(rest);
  const shape = new Array<number>(parts).fill(1);
  for (const p of primes) shape[Math.floor(random() * parts)] *= p;
  return shape;
}

function randomPerm(k: number, random: () => number): number[] {
  const perm = [...Array(k).keys()];
  for (let i = k - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return perm;
}

/** A random permutation of [0, size) built from `steps` random mixed-radix axis permutations. */
export function randomIndexMap(size: number, steps: number, random: () => number): IndexMap {
  const list: AxisPermutation[] = [];
  for (let s = 0; s < steps; s++) {
    const axes = 2 + Math.floor(random() * 2);
    list.push({ shape: randomShape(size, axes, random), perm: randomPerm(axes, random) });
  }
  return { size, steps: list };
}

export interface BuiltProgram {
  readonly program: Program;
  readonly tensors: ReadonlyMap<string, Float32Array>;
  readonly packed: Float32Array;
}

/** Accumulates parameters (random, aligned like `schedule`), buffers and ops into a Program. */
export class ProgramBuilder {
  private readonly layout: ParamLayoutEntry[] = [];
  private readonly tensors = new Map<string, Float32Array>();
  private readonly buffers: BufferDecl[];
  private readonly ops: Op[] = [];
  private size = 0;

  constructor(
    private readonly name: string,
    private readonly inSize: number,
    private readonly outSize: number,
    private readonly random: () => number,
    private readonly dtype: Dtype = 'f32',
  ) {
    this.buffers = [{ name: 'x', size: inSize }, { name: 'y', size: outSize }];
  }

  /** A new random parameter tensor; returns the slice covering all of it. */
  param(name: string, length: number): ParamSlice {
    const offset = Math.ceil(this.size / 4) * 4;
    this.layout.push({ name, shape: [length], offset });
    this.tensors.set(name, randomArray(length, this.random));
    this.size = offset + length;
    return { tensor: name, offset: 0, length };
  }

  temp(size: number): string {
    const name = `t${this.buffers.length - 2}`;
    this.buffers.push({ name, size });
    return name;
  }

  ks(
    k: { a: number; b: number; c: number; d: number },
    src: string,
    dst: string,
    opts: { input?: IndexMap; output?: IndexMap; accumulate?: boolean; bias?: boolean } = {},
  ): this {
    const n = k.a * k.c * k.d;
    const m = k.a * k.b * k.d;
    const i = this.ops.length;
    this.ops.push({
      kind: 'ks',
      ...k,
      weight: this.param(`op${i}.w`, k.a * k.d * k.b * k.c),
      input: opts.input ?? identity(n),
      output: opts.output ?? identity(m),
      src,
      dst,
      accumulate: opts.accumulate ?? false,
      ...(opts.bias ? { bias: this.param(`op${i}.bias`, m) } : {}),
      span,
    });
    return this;
  }

  bsr(
    s: { rows: number; cols: number; bh: number; bw: number; blocks: readonly (readonly [number, number])[] },
    src: string,
    dst: string,
    opts: { input?: IndexMap; output?: IndexMap; accumulate?: boolean; bias?: boolean } = {},
  ): this {
    const i = this.ops.length;
    this.ops.push({
      kind: 'bsr',
      ...s,
      weight: this.param(`op${i}.values`, s.blocks.length * s.bh * s.bw),
      input: opts.input ?? identity(s.cols),
      output: opts.output ?? identity(s.rows),
      src,
      dst,
      accumulate: opts.accumulate ?? false,
      ...(opts.bias ? { bias: this.param(`op${i}.bias`, s.rows) } : {}),
      span,
    });
    return this;
  }

  bias(size: number, dst: string, opts: { output?: IndexMap; accumulate?: boolean } = {}): this {
    const i = this.ops.length;
    this.ops.push({
      kind: 'bias',
      dst,
      size,
      param: this.param(`op${i}.bias`, size),
      output: opts.output ?? identity(size),
      accumulate: opts.accumulate ?? false,
      span,
    });
    return this;
  }

  build(): BuiltProgram {
    const program: Program = {
      name: this.name,
      in: this.inSize,
      out: this.outSize,
      dtype: this.dtype,
      params: this.layout,
      paramSize: this.size,
      buffers: this.buffers,
      ops: this.ops,
      span,
    };
    return { program, tensors: this.tensors, packed: packParams(this.layout, this.size, this.tensors) };
  }
}

/** A random block pattern on a grid (row-major), each block present with probability `density`. */
export function randomBlocks(gridRows: number, gridCols: number, density: number, random: () => number): [number, number][] {
  const blocks: [number, number][] = [];
  for (let i = 0; i < gridRows; i++) for (let j = 0; j < gridCols; j++) if (random() < density) blocks.push([i, j]);
  return blocks;
}

/** ‖a − b‖_F / ‖b‖_F (b the reference); 0 when both are zero. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}
