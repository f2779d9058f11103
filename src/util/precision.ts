/**
 * How close monc's results of each storage precision are to the float64 reference (relative
 * Frobenius error): the contract every path is held to (docs/numerics.md). f16's 11 significant
 * bits give a few 1e-4 per rounding, summed over a map's factors.
 */
export const PRECISION_TOLERANCE: Readonly<Record<'f32' | 'f16', number>> = { f32: 1e-5, f16: 3e-3 };
