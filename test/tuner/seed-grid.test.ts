/**
 * The seed-by-grid rule (defaults.ts forTheGrid, keepsTheGrid), shared by the tuner's seeds whose best form follows the
 * grid (ks-dtiled residentTwin, ks-sgmat-strided's d = 4 seeds, ks-sgmat squareTwin): of forms that differ in their rows
 * per workgroup, the most rows whose grid keeps 128 workgroups at the tuned batch, else the fewest rows; the most rows
 * where the batch is not known. The seeds each family derives from it are tested beside the family (dtiled-wres,
 * ks-sgmat-square, seeds tests).
 */
import { describe, expect, it } from 'vitest';
import { forTheGrid, keepsTheGrid } from '../../src/codegen/wgsl/defaults.js';

// Forms named by their rows, 8 workgroups for each tile of rows (n = 4096's strided factor: 8 δ tiles of 8 δ).
const rows = [128, 1024, 256, 512];
const grid = (r: number) => ({ rows: r, perRowTile: 8 });

describe('forTheGrid', () => {
  it('takes the most rows whose grid keeps 128 workgroups', () => {
    expect(forTheGrid(rows, grid, 16384)).toBe(1024); // 16 row tiles x 8 = 128
    expect(forTheGrid(rows, grid, 16383)).toBe(1024); // a partial row tile is a workgroup too
    expect(forTheGrid(rows, grid, 4096)).toBe(256);
    expect(forTheGrid(rows, grid, 8192)).toBe(512);
  });

  it('takes the fewest rows (the most workgroups) where none keeps 128, and the most rows where the batch is not known', () => {
    expect(forTheGrid(rows, grid, 512)).toBe(128);
    expect(forTheGrid(rows, grid, 1)).toBe(128);
    expect(forTheGrid(rows, grid, undefined)).toBe(1024);
    expect(forTheGrid([], grid, 4096)).toBeUndefined();
  });
});

describe('keepsTheGrid', () => {
  it('counts ceil(batch / rows) row tiles of perRowTile workgroups against 128', () => {
    expect(keepsTheGrid({ rows: 128, perRowTile: 1 }, 16384)).toBe(true);
    expect(keepsTheGrid({ rows: 128, perRowTile: 1 }, 16256)).toBe(false);
    expect(keepsTheGrid({ rows: 128, perRowTile: 2 }, 8129)).toBe(true);
    expect(keepsTheGrid({ rows: 256, perRowTile: 16 }, 1024)).toBe(false);
  });
});
