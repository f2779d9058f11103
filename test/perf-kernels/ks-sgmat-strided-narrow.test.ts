/**
 * The 16-β, one-subgroup-per-δ form with W resident at c = 256 (every W fragment slot a subgroup has: 16 γ tiles × one
 * β tile), which Monarch n = 4096 with 16 blocks takes untuned since session 26 (oneSubgroupPerDeltaTwin: 16 δ × 16 β,
 * 16-row warp tiles, 16 row chunks, swizzled lanes, ob 2). Results through the subgroup-matrix emulation on SwiftShader
 * against float64 at 8 δ (16 δ take 512 invocations, above the emulation's 256), c = 256 (2048 -> 2048 with 8 blocks),
 * with the batch ending inside a row chunk; f32 and f16 sums (the tuner's seed at 32 row chunks); and the β groups of
 * session 27's default and seed there (halfRunsWideTwin, stridedF16SumTwins) at 4 δ. Not candidates at 8 δ
 * (ob and 16 row chunks are offered at 16 δ), so emitted directly, as the ob tests do.
 */
import { describe, expect, it } from 'vitest';
import { monarchCase, type OpsCase } from '../../bench/cases.js';
import type { KsSgmatStridedSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat-strided.js';
import { emulatedError } from './sgmat-strided-support.js';
import { TOL_F16 } from './support.js';

const c256 = monarchCase(2048, 2048, 8);
const narrow: KsSgmatStridedSchedule = { family: 'ks-sgmat-strided', dtile: 8, cols: 16, sb: 16, mr: 1, chunks: 16, tk: 16, wres: true, sw: true, ob: 2 };

describe('ks-sgmat-strided, 16 β in one subgroup per δ with W resident at c = 256, emulated, against the float64 reference', () => {
  const cases: [string, OpsCase, KsSgmatStridedSchedule, number][] = [
    ['f32 sums, 16 row chunks of 16 rows (the batch ends in the third)', c256, narrow, 40],
    ['f16 sums, 32 row chunks', c256, { ...narrow, chunks: 32, acc16: true }, 40],
    // The tuner's seed of two such subgroups per δ with γ chunks of 32 (session 26 call 2's winner at 16 δ), at 4 δ: 256 invocations.
    ['f16 sums, two 16-β subgroups per δ, γ chunks of 32, 32 row chunks (1024 -> 1024 with 4 blocks, 4 δ)', monarchCase(1024, 1024, 4), { ...narrow, dtile: 4, cols: 32, chunks: 32, tk: 32, acc16: true }, 40],
    // Since session 27 the default there takes 8 δ × 64 β, four 16-β subgroups per δ in 32-row tiles (1024 invocations),
    // and the tuner's seed two per δ in 32-row tiles: here at 4 δ × 32 β (two β groups, 256 invocations), c = 256.
    ['f32 sums, two 16-β subgroups per δ in 32-row tiles, 8 row chunks (the batch ends in the second), 4 δ', c256, { family: 'ks-sgmat-strided', dtile: 4, cols: 32, sb: 16, mr: 2, chunks: 8, tk: 16, wres: true, sw: true }, 40],
    ['the same with γ chunks loaded two ahead (pd 2: the default since session 27 call 3), 4 δ', c256, { family: 'ks-sgmat-strided', dtile: 4, cols: 32, sb: 16, mr: 2, chunks: 8, tk: 16, wres: true, sw: true, pd: 2 }, 40],
    ['f16 sums, two 16-β subgroups per δ in 32-row tiles, 16 row chunks, ob 2, 4 δ', c256, { ...narrow, dtile: 4, cols: 32, mr: 2, acc16: true }, 40],
  ];
  for (const [name, c, s, batch] of cases)
    it(`${name} (batch ${batch})`, async () => {
      expect(await emulatedError(c, s, batch), JSON.stringify(s)).toBeLessThan(TOL_F16);
    });
});
