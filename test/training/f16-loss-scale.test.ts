/**
 * fitMse's loss scaling in f16 modules (gpu-fit-mse.ts lossScale): DY as the f16 training-step
 * kernel stores it (f16 of the f32 product (Y − T)·factor) and the f16 gradient buffer, emulated
 * with monc's f32→f16 conversion (SwiftShader has no shader-f16), must give the update the exact
 * gradient gives, within f16 rounding; the optimizer's exact division of the scale
 * (forScaledGradients) on the CPU rule and on the device's update kernel.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { f16BitsToF32, f32ToF16Bits } from '../../src/runtime/formats/f16.js';
import { lossScale, outputGradientFactor } from '../../src/runtime/gpu-fit-mse.js';
import { cpuOptimizerStep, forScaledGradients, GpuOptimizer, resolveOptimizer, type OptimizerOptions } from '../../src/runtime/optimizer.js';
import { stateWords } from '../../src/manifest/optimizer.js';
import { bias, checkedMap, monarch, randomValues, rng, sum } from '../ir/structures.js';
import { frobeniusError, gradientCase } from './support.js';

const f16 = (v: number) => f16BitsToF32(f32ToF16Bits(v));

/** A standard normal sample (sum of 12 uniforms). */
function gauss(random: () => number): number {
  let u = 0;
  for (let k = 0; k < 12; k++) u += random();
  return u - 6;
}

const OPTIMIZERS: OptimizerOptions[] = [
  { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.01 },
  { kind: 'adam', lr: 0.01, weightDecay: 0.05 },
  { kind: 'adamw', lr: 0.02 },
];

describe('f16 fit: DY and the gradients with the loss scale', () => {
  // rows x m outputs of a dense n -> m map with residuals Y − T ~ N(0, σ), or σ·X[r, 0] (correlated
  // over all rows: the largest gradient sums). At rows·m >= 2^20 the unscaled DY = 2(Y − T)/(rows·m)
  // is mostly below f16's smallest subnormal (REVIEW's R15 table); a scale of rows·m/2 overflows the
  // correlated gradient (4096 rows x 30 > 65504).
  it.each([
    [256, 256, 16, 0.1, 'random'],
    [2048, 1024, 4, 0.1, 'random'],
    [1024, 2048, 4, 0.01, 'random'],
    [16384, 64, 4, 0.01, 'random'],
    [4096, 64, 4, 30, 'correlated'],
  ] as const)('rows %i, m %i, n %i, |Y − T| ~ %f (%s): the gradient and two SGD updates match the exact ones to 3e-3', (rows, m, n, sigma, kind) => {
    const random = rng(rows + m);
    const x = Float64Array.from({ length: rows * n }, () => gauss(random));
    const d = Float64Array.from({ length: rows * m }, (_, k) => sigma * (kind === 'random' ? gauss(random) : x[Math.floor(k / m) * n]));
    const count = rows * m;
    const scale = lossScale('f16', rows, m);
    const factor = Math.fround(outputGradientFactor(count, scale));
    // The gradient of a dense map's weight, (m, n): Σ_rows DY[r, i]·X[r, j], from the stored f16 DY and from the exact one.
    const stored = new Float64Array(m * n);
    const exact = new Float64Array(m * n);
    let flushed = 0;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < m; i++) {
        const dy = f16(Math.fround(d[r * m + i] * factor));
        if (dy === 0) flushed++;
        const dyExact = (d[r * m + i] * 2) / count;
        for (let j = 0; j < n; j++) {
          stored[i * n + j] += dy * x[r * n + j];
          exact[i * n + j] += dyExact * x[r * n + j];
        }
      }
    }
    expect(flushed / count).toBeLessThan(1e-3);
    const grads = Float32Array.from(stored, f16);
    expect(grads.every(Number.isFinite)).toBe(true);
    // What the update divides out (forScaledGradients) against the exact gradient: f16's promise.
    expect(frobeniusError(grads.map((g) => g / scale), exact)).toBeLessThan(3e-3);
    // An SGD update (linear in the gradient) from the stored one against the exact one.
    const r = resolveOptimizer(OPTIMIZERS[0]);
    const start = Float32Array.from(randomValues(rng(3), m * n));
    const [got, want] = [start.slice(), start.slice()];
    const [gotState, wantState] = [0, 1].map(() => new Float64Array(m * n * stateWords(r.kernel)));
    for (let t = 1; t <= 2; t++) {
      cpuOptimizerStep(forScaledGradients(r, scale), t, got, grads, gotState);
      cpuOptimizerStep(r, t, want, exact, wantState);
    }
    expect(frobeniusError(got.map((v, k) => v - start[k]), want.map((v, k) => v - start[k]))).toBeLessThan(3e-3);
  });

  it('the scale is a power of two giving DY about (Y − T)·min(rows, 256)/rows in f16, and 1 in f32', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 8192 }), (rows, m) => {
        const s = lossScale('f16', rows, m);
        expect(Number.isInteger(Math.log2(s))).toBe(true);
        const ratio = (outputGradientFactor(rows * m, s) * rows) / Math.min(rows, 256);
        expect(ratio).toBeGreaterThanOrEqual(Math.SQRT1_2 - 1e-12);
        expect(ratio).toBeLessThanOrEqual(Math.SQRT2 + 1e-12);
        expect(lossScale('f32', rows, m)).toBe(1);
        expect(outputGradientFactor(rows * m, 1)).toBe(2 / (rows * m));
      }),
    );
  });

  it('forScaledGradients: gradients 2^k times larger give the same update, bit for bit (cpu rule)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...OPTIMIZERS), fc.integer({ min: -20, max: 30 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 1000 }), (options, k, size, seed) => {
        const r = resolveOptimizer(options);
        const random = rng(seed);
        const start = Float32Array.from(randomValues(random, size));
        const g = Float64Array.from(randomValues(random, size));
        const scaled = g.map((v) => v * 2 ** k);
        const [a, b] = [start.slice(), start.slice()];
        const [sa, sb] = [0, 1].map(() => new Float64Array(size * stateWords(r.kernel)));
        for (let t = 1; t <= 3; t++) {
          cpuOptimizerStep(r, t, a, g, sa);
          cpuOptimizerStep(forScaledGradients(r, 2 ** k), t, b, scaled, sb);
        }
        expect(b).toEqual(a);
      }),
    );
  });
});

describe('GpuOptimizer.setGradientScale on the device', () => {
  it.each(OPTIMIZERS)('%o: DY 64 times larger with the scale set gives the same parameters after 3 steps', async (options) => {
    const map = checkedMap('m', sum(monarch(12, 12, 3), bias(12)));
    const batch = 5;
    const [plain, scaled] = await Promise.all([gradientCase(map, 'webgpu', 11, batch, { training: true }), gradientCase(map, 'webgpu', 11, batch, { training: true })]);
    try {
      const a = plain.runner.createOptimizer(options);
      const b = scaled.runner.createOptimizer(options);
      expect(b).toBeInstanceOf(GpuOptimizer);
      (b as GpuOptimizer).setGradientScale(64);
      const dyScaled = plain.dy.map((v) => v * 64);
      for (let t = 0; t < 3; t++) {
        await plain.runner.backward(plain.x, plain.dy, batch);
        await a.step();
        await scaled.runner.backward(scaled.x, dyScaled, batch);
        await b.step();
      }
      const [got, want] = await Promise.all([scaled.runner.params(), plain.runner.params()]);
      for (const [name, p] of want) expect(got.get(name), name).toEqual(p);
      const moved = [...want].some(([name, p]) => p.some((v, i) => v !== plain.params.get(name)![i]));
      expect(moved).toBe(true);
    } finally {
      plain.runner.destroy();
      scaled.runner.destroy();
    }
  });
});
