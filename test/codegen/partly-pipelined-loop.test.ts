/**
 * partlyPipelinedLoop (ks-sgmat's `pw`): of two stagings, one fetched a chunk ahead as in the pipelined stagedLoop, the
 * other loaded and stored in its own chunk's pass, its loads first; one barrier publishes both, one after compute.
 */
import { describe, expect, it } from 'vitest';
import { partlyPipelinedLoop } from '../../src/codegen/wgsl/fast/partly-pipelined-loop.js';
import { stagedLoop, type Staging } from '../../src/codegen/wgsl/fast/wgsl-text.js';

const stagingOf = (name: string): Staging => ({
  registers: [`var ${name}: f32;`],
  fetch: (k0) => [`${name} = src_${name}[${k0}];`],
  stash: (k0) => [`ws_${name}[${k0}] = ${name};`],
});

describe('partlyPipelinedLoop', () => {
  it('fetches `ahead` one chunk early, `inPlace` in its own pass before the barrier (loads first)', () => {
    expect(partlyPipelinedLoop(stagingOf('x'), stagingOf('w'), 64, 32, ['mma();'])).toEqual([
      'var x: f32;',
      'var w: f32;',
      'x = src_x[0u];',
      'for (var k0 = 0u; k0 < 64u; k0 += 32u) {',
      '  w = src_w[k0];',
      '  ws_x[k0] = x;',
      '  ws_w[k0] = w;',
      '  workgroupBarrier();',
      '  if (k0 + 32u < 64u) {',
      '    x = src_x[k0 + 32u];',
      '  }',
      '  mma();',
      '  workgroupBarrier();',
      '}',
    ]);
  });

  it('with nothing in place, is the pipelined stagedLoop', () => {
    const none: Staging = { registers: [], fetch: () => [], stash: () => [] };
    expect(partlyPipelinedLoop(stagingOf('x'), none, 64, 32, ['mma();'])).toEqual(stagedLoop(stagingOf('x'), 64, 32, true, ['mma();']));
  });
});
