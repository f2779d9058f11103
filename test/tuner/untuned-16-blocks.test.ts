/**
 * The untuned build of Monarch n = 4096 with 16 blocks on an H100 (f16, the tensor-core set): its strided factor
 * K(1, 256, 256, 16) (W resident in registers holds 16 β per subgroup, c = 256) takes 8 δ × 64 β per workgroup, four
 * 16-β subgroups per δ in 32-row warp tiles, 8 row chunks, γ chunks loaded two ahead, f32 sums (halfRunsWideTwin): 0.5988
 * ms in session 27 call 3 (0.6858 without pd 2) against 0.8353 for session 26's default, 16 δ × 16 β, one subgroup per δ in 16-row tiles (oneSubgroupPerDeltaTwin; the
 * map untuned 1.28x tuned in session 26), which an adapter of 512 invocations keeps. The defaults of 16 δ where a subgroup
 * holds 32 β (c ≤ 128: n = 4096 with 64 blocks, 1024 -> 4096 and 4096 -> 1024 with 16) keep theirs.
 */
import { describe, expect, it } from 'vitest';
import { monarchCase } from '../../bench/cases.js';
import { compileKernels } from '../../src/compile-kernels.js';
import type { KsOp } from '../../src/ir/ir.js';
import { ksSgmatStrided, stridedF16SumTwins } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { untunedKernels } from '../../src/tuner/untuned-kernels.js';
import { H100, H100_LIMITS } from '../support/adapters.js';

const STRIDED = { family: 'ks-sgmat-strided', dtile: 16, sb: 16, mr: 1, chunks: 16, tk: 16, wres: true, sw: true, ob: 2 };

function untunedStrided(n: number, m: number, nblocks: number) {
  const built = compileKernels(`module u\ndtype f16\nmap m : ${n} -> ${m} = monarch(nblocks: ${nblocks})\n`, 'u.mon');
  return untunedKernels(built.programs![0], 'f16', H100)[1].schedule;
}

describe('the untuned strided factor of an f16 Monarch map with 16 δ on an H100', () => {
  it('takes 8 δ × 64 β in 32-row tiles where resident W holds 16 β per subgroup (n = 4096, 16 blocks: c = 256)', () => {
    expect(untunedStrided(4096, 4096, 16)).toEqual({ family: 'ks-sgmat-strided', dtile: 8, cols: 64, sb: 16, mr: 2, chunks: 8, tk: 16, wres: true, sw: true, pd: 2 });
  });

  it('keeps 16 δ × 16 β, one subgroup per δ, there on an adapter of 512 invocations (the 1024-invocation form does not fit)', () => {
    const op = monarchCase(4096, 4096, 16).ops[1] as KsOp;
    expect(ksSgmatStrided.defaultSchedule(op, { ...H100_LIMITS, maxWorkgroupSize: 512 })).toMatchObject({ dtile: 16, cols: 16, sb: 16 });
  });

  it('keeps 32-β subgroups where they hold W (c ≤ 128): n = 4096 with 64 blocks, 16-block 1024 -> 4096 and 4096 -> 1024', () => {
    expect(untunedStrided(4096, 4096, 64)).toMatchObject({ dtile: 16, cols: 64, sb: 32 });
    for (const [n, m] of [[1024, 4096], [4096, 1024]]) expect(untunedStrided(n, m, 16), `${n} -> ${m}`).toMatchObject({ dtile: 16, cols: 32, sb: 32, mr: 2 });
  });

  it("gives the tuner the tuned forms of session 25 call 5 (16 β, 32 row chunks), session 26 call 2 (32 β, γ chunks of 32: 0.6101 ms) and session 27 call 1 (32 β in 32-row tiles: 0.5486 ms) as its f16-sum seeds", () => {
    const op = monarchCase(4096, 4096, 16).ops[1] as KsOp;
    const seeds = stridedF16SumTwins(op, H100_LIMITS);
    expect(seeds).toContainEqual({ ...STRIDED, cols: 16, chunks: 32, acc16: true });
    expect(seeds).toContainEqual({ ...STRIDED, cols: 32, chunks: 32, tk: 32, acc16: true });
    expect(seeds).toContainEqual({ ...STRIDED, cols: 32, mr: 2, acc16: true });
    // Not where the default already takes 32-β subgroups (n = 4096 with 64 blocks).
    expect(stridedF16SumTwins(monarchCase(4096, 4096, 64).ops[1] as KsOp, H100_LIMITS).some((s) => s.tk === 32)).toBe(false);
  });
});
