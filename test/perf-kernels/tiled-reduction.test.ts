/**
 * Long reductions in the tiled families: a factor whose reduction has 2^17 terms or more (a
 * dense or lowrank layer with a long `in`, a block-diagonal with big blocks) is summed in blocks
 * of about 1024 terms (reduction.ts blockedSum), in every tiled family that can take such a
 * reduction, as the direct kernels are. Each case is forced onto its family with a tiny other
 * side (b = 4..64 outputs, batch 1..3), so only the loop is long, and checked against the float64
 * op reference: within the 1e-5 contract, and within BLOCKED_TOL, which blocked sums meet
 * (measured about 6e-7) and one running f32 sum misses (measured 6e-6..8e-6 at these lengths, so
 * these cases fail without the blocks). Reductions of at most BLOCKED_SUM_FROM terms keep their
 * kernel text (no `_block` loop), so the kernels of ordinary maps are unchanged.
 * ks-chain-fused holds a factor's whole radix in workgroup memory (at most about 12,288 terms on
 * a 48 KiB target, and r² weights per factor), so it is checked on its text only.
 */
import { describe, expect, it } from 'vitest';
import { nodeGpu } from '../../bench/node-gpu.js';
import { ks, type OpsCase } from '../../bench/cases.js';
import { compileKernels } from '../../src/compile-kernels.js';
import { ksChainFused } from '../../src/codegen/wgsl/fast/ks-chain-fused.js';
import { ksDtiled } from '../../src/codegen/wgsl/fast/ks-dtiled.js';
import { ksDvec } from '../../src/codegen/wgsl/fast/ks-dvec.js';
import { ksPairFused } from '../../src/codegen/wgsl/fast/ks-pair-fused.js';
import { ksTiled } from '../../src/codegen/wgsl/fast/ks-tiled.js';
import type { KernelFamily } from '../../src/codegen/wgsl/family.js';
import type { Schedule, TargetLimits } from '../../src/codegen/wgsl/kernel.js';
import { BLOCKED_SUM_FROM, SUM_BLOCK } from '../../src/codegen/wgsl/reduction.js';
import type { KernelContext } from '../../src/codegen/wgsl/scaffold.js';
import type { KsOp } from '../../src/ir/ir.js';
import { expectModuleMatches, kernelError, LIMITS, opError, TOL } from './support.js';

/** What blocked sums of 2^17 terms meet on these cases and one running f32 sum does not. */
const BLOCKED_TOL = 2e-6;
const K = 2 ** 17;
const BIG: TargetLimits = { maxWorkgroupSize: 1024, maxWorkgroupStorageBytes: 49152, features: [] };

/** A case of the ks ops `ops` applied in turn from x to y (intermediates t<k>), weights w<k> packed. */
function chainCase(ops: readonly KsOp[]): OpsCase {
  let offset = 0;
  const params = ops.map((op) => {
    const p = { name: op.weight.tensor, shape: [op.a * op.d * op.b * op.c], offset };
    offset += p.shape[0];
    return p;
  });
  const sizes = new Map<string, number>();
  for (const op of ops) {
    sizes.set(op.src, op.a * op.c * op.d);
    sizes.set(op.dst, op.a * op.b * op.d);
  }
  const first = ops[0];
  const last = ops[ops.length - 1];
  return {
    name: 'long reduction',
    ops: [...ops],
    params,
    paramSize: offset,
    buffers: [...sizes].map(([name, size]) => ({ name, size })),
    in: first.a * first.c * first.d,
    out: last.a * last.b * last.d,
    flopsPerRow: 0,
  };
}

/** The candidate that does the least work per workgroup (fewest rows, then the largest chunk): SwiftShader is slow. */
function cheapest<S extends Schedule & { readonly rows: number }>(all: readonly S[], chunk: (s: S) => number): S {
  expect(all.length).toBeGreaterThan(0);
  return [...all].sort((x, y) => x.rows - y.rows || chunk(y) - chunk(x))[0];
}

/** The generated text of the family's kernel of `op` with `schedule`. */
function textOf<S extends Schedule>(family: KernelFamily<'ks', S>, op: KsOp, schedule: S): string {
  const c = chainCase([op]);
  const ctx: KernelContext = { entryPoint: 'k', opIndex: 0, storage: 'f32', params: c.params, buffers: c.buffers };
  return family.emit(op, schedule, ctx).wgsl;
}

/** A dense-like factor K(1, b, c, d) from x to y. */
const factor = (b: number, c: number, d: number) => ks(1, b, c, d, 'x', 'y', 'w0');

type Chunked = Schedule & { readonly rows: number; readonly tk: number };

/** A test of `family` forced onto `op` (its cheapest candidate that `pick` allows) at `batch` rows. */
function longOp<S extends Chunked>(name: string, family: KernelFamily<'ks', S>, op: KsOp, batch: number, pick: (s: S) => boolean = () => true): void {
  it(`${name}, batch ${batch}`, async () => {
    const s = cheapest(family.candidates(op, LIMITS).filter(pick), (x) => x.tk);
    expect(textOf(family, op, s)).toContain('k_block');
    const err = await opError(family, chainCase([op]), 0, s, batch);
    expect(err, JSON.stringify(s)).toBeLessThan(TOL);
    expect(err, JSON.stringify(s)).toBeLessThan(BLOCKED_TOL);
  });
}

/** The family's text for K(1, b, c, d): one running sum at c = BLOCKED_SUM_FROM, blocks just above. */
function expectBlockedAbove<S extends Chunked>(family: KernelFamily<'ks', S>, b: number, d: number): void {
  const count = BLOCKED_SUM_FROM + 16;
  const short = factor(b, BLOCKED_SUM_FROM, d);
  const long = factor(b, count, d);
  const s = family.candidates(long, LIMITS).find((x) => BLOCKED_SUM_FROM % x.tk === 0)!;
  expect(family.candidates(short, LIMITS), family.name).toContainEqual(s);
  expect(textOf(family, short, s), family.name).not.toContain('_block');
  const text = textOf(family, long, s);
  expect(text, family.name).toContain(`for (var k_block = 0u; k_block < ${count}u; k_block += ${SUM_BLOCK}u) {`);
  expect(text, family.name).toContain(`for (var k0 = k_block; k0 < min(k_block + ${SUM_BLOCK}u, ${count}u); k0 += ${s.tk}u) {`);
  expect(text, family.name).toContain('acc_0_0 = acc_0_0_before + acc_0_0;');
}

describe(`single-op tiled families: 2^17-term reductions within ${BLOCKED_TOL} of float64`, () => {
  // Reductions that are not a multiple of a block (nor, for ks-tiled, of its chunk): the last block is partial.
  // Pipelined staging in one, not in the other (the block loop wraps both forms of stagedChunks).
  longOp('ks-tiled, K(1, 8, 2^17 + 12, 1) (lowrank-like), pipelined', ksTiled, factor(8, K + 12, 1), 3, (s) => s.pipeline);
  longOp('ks-dtiled, K(1, 4, 2^17 + 40, 4) (strided), not pipelined', ksDtiled, factor(4, K + 40, 4), 2, (s) => !s.pipeline);
  longOp('ks-dvec, K(1, 8, 2^17 + 40, 4) (strided)', ksDvec, factor(8, K + 40, 4), 1);

  it(`a reduction of ${BLOCKED_SUM_FROM} terms keeps one running sum, a longer one sums blocks of ${SUM_BLOCK}`, () => {
    expectBlockedAbove(ksTiled, 8, 1);
    expectBlockedAbove(ksDtiled, 4, 4);
    expectBlockedAbove(ksDvec, 8, 4);
  });
});

describe('ks-pair-fused (the Monarch pair in one dispatch): either factor reducing 2^17 terms', () => {
  const pair = (op0: KsOp, op1: KsOp): KsOp[] => [
    { ...op0, dst: 't0', pair: { group: 0, stage: 0 } },
    { ...op1, src: 't0', weight: { ...op1.weight, tensor: 'w1' }, pair: { group: 0, stage: 1 } },
  ];
  const cases: [string, KsOp[], string, number][] = [
    // op0 K(1, 4, 2^17, 1) (a rank-4 first factor) then op1 K(1, 64, 4, 1): stage 1's dot products are long.
    ['first factor of 2^17 terms', pair(factor(4, K, 1), factor(64, 4, 1)), 'e_block', 2],
    // op0 K(2^15, 4, 4, 1) (2^15 blocks) then op1 K(1, 16, 2^17, 1): stage 2's accumulation is long.
    ['second factor of 2^17 terms', pair(ks(K / 4, 4, 4, 1, 'x', 'y', 'w0'), factor(16, K, 1)), 'gc_block', 3],
  ];
  for (const [name, ops, loop, batch] of cases)
    it(`${name}, batch ${batch}`, async () => {
      const s = cheapest(ksPairFused.candidates(ops, LIMITS), (x) => x.rr1);
      const c = chainCase(ops);
      const emit = (ctx: KernelContext) => ksPairFused.emit(ops, s, ctx);
      expect(emit({ entryPoint: 'k', opIndex: 0, storage: 'f32', params: c.params, buffers: c.buffers }).wgsl).toContain(loop);
      const err = await kernelError(c, 0, 2, emit, batch);
      expect(err, JSON.stringify(s)).toBeLessThan(TOL);
      expect(err, JSON.stringify(s)).toBeLessThan(BLOCKED_TOL);
    });
});

/** WGSL compilation errors of `code` on the test device (compiled, not run). */
async function wgslErrors(code: string): Promise<string[]> {
  const { device } = await nodeGpu();
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code });
  const info = await module.getCompilationInfo();
  const error = await device.popErrorScope();
  return [...info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`), ...(error ? [error.message] : [])];
}

describe('ks-chain-fused: a radix beyond the blocked-sum threshold (possible on 48 KiB targets)', () => {
  // Not run here: two radix-8192 factors hold 2 · 8192² weights (512 MiB) and need 32 KiB of workgroup memory.
  it('sums a radix-8192 factor in blocks (valid WGSL); radix 4096 keeps one running sum', async () => {
    const run = (r: number): KsOp[] => [ks(1, r, r, 1, 'x', 't0', 'w0'), ks(1, r, r, 1, 't0', 'y', 'w1')];
    const textOfRun = (ops: KsOp[]) => {
      const s = ksChainFused.defaultSchedule(ops, BIG)!;
      expect(s).toBeDefined();
      const c = chainCase(ops);
      return ksChainFused.emit(ops, s, { entryPoint: 'k', opIndex: 0, storage: 'f32', params: c.params, buffers: c.buffers }).wgsl;
    };
    const long = textOfRun(run(8192));
    expect(long).toContain(`for (var gm_block = 0u; gm_block < 8192u; gm_block += ${SUM_BLOCK}u) {`);
    expect(long).toContain(`for (var gm = gm_block; gm < min(gm_block + ${SUM_BLOCK}u, 8192u); gm++) {`);
    expect(await wgslErrors(long)).toEqual([]);
    expect(textOfRun(run(4096))).not.toContain('_block');
  });
});

describe('a module as users build it: untuned, its long factor on ks-tiled', () => {
  it(`lowrank(rank: 8) + bias() 2^17 -> 16 runs within ${BLOCKED_TOL} of float64 (MapRunner, batch 2)`, async () => {
    const result = compileKernels(`module wide\nmap l : ${K} -> 16 = lowrank(rank: 8) + bias()\n`, 'wide.mon');
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const out = { ...result.outputs!, module: result.module! };
    // The forward kernel that reduces over the 2^17 inputs is the tiled GEMM (dense() 2^17 -> 8 gets the same).
    expect(out.manifest.maps[0].kernels[0].schedule.family).toBe('ks-tiled');
    expect(out.wgsl).toContain('k_block');
    await expectModuleMatches(out, [2], BLOCKED_TOL);
  });
});
