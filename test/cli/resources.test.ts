/** Regression tests (issue 13): outputs too large to hold are refused at once with the limit, before anything is allocated. */
import { existsSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { initParams } from '../../src/runtime/init.js';
import { cli, scratchDir } from './helpers.js';

// Whether monc init made the parameters before refusing them is seen by a spy, not a wall-clock bound (s26 OPEN-b).
vi.mock('../../src/runtime/init.js', async (original) => {
  const actual = await original<typeof import('../../src/runtime/init.js')>();
  return { ...actual, initParams: vi.fn(actual.initParams) };
});

const scratch = scratchDir();
afterAll(() => scratch.remove());

describe('data files over 2 GiB', () => {
  it('monc init of 6 GiB of parameters: one line with the limit, before any parameter is made', async () => {
    const spec = scratch.path('huge.mon');
    writeFileSync(spec, 'module huge\nmap big : 2^15 -> 2^15 = dense() + lowrank(rank: 2^13)\n');
    const r = await cli(['init', spec, '--map', 'big', '--out', scratch.path('big.safetensors')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("monc: error: map 'big' has 1,610,612,736 parameters: 6 GiB as F32, over the limit of 2 GiB for a data file monc writes\n");
    expect(initParams).not.toHaveBeenCalled();
    expect(existsSync(scratch.path('big.safetensors'))).toBe(false);
  });

  it('monc dense of a map whose M would not fit: one line, before reading the parameters', async () => {
    const spec = scratch.path('wide.mon');
    writeFileSync(spec, 'module wide\nmap w : 2^16 -> 2^14 = lowrank(rank: 1)\n');
    const r = await cli(['dense', spec, '--map', 'w', '--params', scratch.path('none.safetensors'), '--out', scratch.path('w.npy')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("monc: error: M of map 'w' is 16384 x 65536: 4 GiB as float32, over the limit of 2 GiB for a data file monc writes\n");
  });
});
