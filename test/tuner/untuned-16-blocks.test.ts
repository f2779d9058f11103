/**
 * The untuned build of Monarch n = 4096 with 16 blocks on an H100 (f16, the tensor-core set): its strided factor
 * K(1, 256, 256, 16) (W resident in registers holds 16 β per subgroup, c = 256) takes 16 δ × 16 β per workgroup, one
 * subgroup per δ (oneSubgroupPerDeltaTwin), in 16-row warp tiles: the tuned form of session 25 call 5 (0.7506 ms with f16
 * sums at 32 row chunks, against 0.8203 at 32 β) without its f16 sums and with the default's 16 row chunks (f32 sums at
 * 32 row chunks: 0.8007 ms, session 26 call 1). Before, it took 32 β in two subgroups per δ (1024 invocations; 0.9698 ms,
 * the map untuned 1.26x tuned). The defaults of 16 δ where a
 * subgroup holds 32 β (c ≤ 128: n = 4096 with 64 blocks, 1024 -> 4096 and 4096 -> 1024 with 16) keep theirs.
 */
import { describe, expect, it } from 'vitest';
import { monarchCase } from '../../bench/cases.js';
import { compileKernels } from '../../src/compile-kernels.js';
import type { KsOp } from '../../src/ir/ir.js';
import { stridedF16SumTwins } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { untunedKernels } from '../../src/tuner/untuned-kernels.js';
import { H100, H100_LIMITS } from '../support/adapters.js';

const STRIDED = { family: 'ks-sgmat-strided', dtile: 16, sb: 16, mr: 1, chunks: 16, tk: 16, wres: true, sw: true, ob: 2 };

function untunedStrided(n: number, m: number, nblocks: number) {
  const built = compileKernels(`module u\ndtype f16\nmap m : ${n} -> ${m} = monarch(nblocks: ${nblocks})\n`, 'u.mon');
  return untunedKernels(built.programs![0], 'f16', H100)[1].schedule;
}

describe('the untuned strided factor of an f16 Monarch map with 16 δ on an H100', () => {
  it('takes one 16-β subgroup per δ where resident W holds 16 β per subgroup (n = 4096, 16 blocks: c = 256)', () => {
    expect(untunedStrided(4096, 4096, 16)).toEqual({ ...STRIDED, cols: 16 });
  });

  it('keeps 32-β subgroups where they hold W (c ≤ 128): n = 4096 with 64 blocks, 16-block 1024 -> 4096 and 4096 -> 1024', () => {
    expect(untunedStrided(4096, 4096, 64)).toMatchObject({ dtile: 16, cols: 64, sb: 32 });
    for (const [n, m] of [[1024, 4096], [4096, 1024]]) expect(untunedStrided(n, m, 16), `${n} -> ${m}`).toMatchObject({ dtile: 16, cols: 32, sb: 32, mr: 2 });
  });

  it("gives the tuner the tuned forms of session 25 call 5 (16 β, 32 row chunks) and session 26 call 2 (32 β, γ chunks of 32: 0.6101 ms) as its f16-sum seeds", () => {
    const op = monarchCase(4096, 4096, 16).ops[1] as KsOp;
    const seeds = stridedF16SumTwins(op, H100_LIMITS);
    expect(seeds).toContainEqual({ ...STRIDED, cols: 16, chunks: 32, acc16: true });
    expect(seeds).toContainEqual({ ...STRIDED, cols: 32, chunks: 32, tk: 32, acc16: true });
    // Not where the default already takes 32-β subgroups (n = 4096 with 64 blocks).
    expect(stridedF16SumTwins(monarchCase(4096, 4096, 64).ops[1] as KsOp, H100_LIMITS).some((s) => s.tk === 32)).toBe(false);
  });
});
