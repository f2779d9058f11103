/**
 * The playground's verdict on a run against the float64 reference (Q2, QA s12): by the storage
 * the run held its values in, SPEC §6's tolerances (1e-5 f32, 3e-3 f16), so a correct run of an
 * f16 module on an adapter with shader-f16 (~1e-4: f16 parameters and activations) is not shown
 * as "above 1e-5", and an f32 run still is judged at 1e-5.
 */
import { describe, expect, it } from 'vitest';
import { verdict } from '../../examples/playground/src/run-map.js';

describe('the playground run verdict', () => {
  it.each([
    ['f16', 2e-4, true, 3e-3],
    ['f16', 4e-3, false, 3e-3],
    ['f32', 2e-4, false, 1e-5],
    ['f32', 7.55e-8, true, 1e-5],
  ] as const)('%s storage, relative error %s: ok %s, tolerance %s', (storage, relativeError, ok, tolerance) => {
    expect(verdict({ storage, relativeError })).toEqual({ ok, tolerance });
  });
});
