/**
 * ks-sgmat's `acc16` with `gload` at the block shape where its largest tiling starts: the 64x64
 * blocks of Monarch n = 4096's first factor K(64, 64, 64, 1), 128 rows x 64 β per subgroup (32 f16
 * result tiles, a tiling f32 results cannot hold), through the subgroup-matrix emulation on
 * SwiftShader against the float64 op reference. 4 blocks (K(4, 64, 64, 1), Monarch n = 256's first
 * factor) rather than 64: each workgroup's work is the same, SwiftShader runs 16 times fewer. Batch 144: the first row tile loads its operands from x and W and
 * stores straight to the output, the second (16 of 128 rows) goes through the staged fallback. The f16 workgroup arrays stay f16 (packed, to fit
 * SwiftShader's 32 KiB), so the tolerance is f16 storage's: relative Frobenius error 3e-3.
 * Apart from ks-sgmat-knobs.test.ts because SwiftShader takes about a minute over this kernel.
 */
import { describe, expect, it } from 'vitest';
import { monarchCase } from '../../bench/cases.js';
import { ksSgmat, type KsSgmatSchedule } from '../../src/codegen/wgsl/fast/ks-sgmat.js';
import type { KsOp } from '../../src/ir/ir.js';
import { emulatedEmit } from '../support/sgmat-emulation.js';
import { kernelError, TOL_F16 } from './support.js';

describe('ks-sgmat acc16 + gload on 64x64 blocks, emulated, against the float64 reference', () => {
  it('128 rows x 64 β (32 tiles), gload and direct stores, then a staged row tile (batch 144)', async () => {
    const c = monarchCase(256, 256, 4); // K(4, 64, 64, 1) first
    const s: KsSgmatSchedule = { family: 'ks-sgmat', rows: 128, cols: 64, dtile: 1, tk: 32, acc16: true, gload: true };
    const emit = emulatedEmit((ctx) => ksSgmat.emit(c.ops[0] as KsOp, s, ctx), { packWorkgroupF16: true });
    expect(await kernelError(c, 0, 1, emit, 144, 'f32')).toBeLessThan(TOL_F16);
  });
});
