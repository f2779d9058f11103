/**
 * A staged reduction loop in which only some copies are software-pipelined (ks-sgmat's `pw`): `ahead`'s chunk k0 + tk
 * is fetched into registers while chunk k0 is multiplied, as in the pipelined `stagedLoop`, while `inPlace`'s chunk is
 * loaded and stored to workgroup memory in its own pass, before the barrier that publishes both. `inPlace` then holds
 * its registers only from its loads to its stores, not across `compute`: the registers a fetched chunk would keep
 * live beside the sums (session 30: 4096 -> 1024's f32-sum first factor holds about 144 a lane, one 256-invocation
 * workgroup a SM; its f16-sum twin, 32 fewer, runs 0.04 ms faster although f16 and f32 MMAs run at the same rate,
 * H100 roofline `mma-acc`). `inPlace`'s loads are issued first, so that their latency overlaps `ahead`'s stores.
 */
import { u } from '../scaffold.js';
import type { Staging } from './wgsl-text.js';

export function partlyPipelinedLoop(ahead: Staging, inPlace: Staging, total: number, tk: number, compute: readonly string[]): string[] {
  const indent = (ls: readonly string[], by = '  ') => ls.map((l) => by + l);
  const next = `k0 + ${u(tk)}`;
  return [
    ...ahead.registers,
    ...inPlace.registers,
    ...ahead.fetch(u(0)),
    `for (var k0 = 0u; k0 < ${u(total)}; k0 += ${u(tk)}) {`,
    ...indent(inPlace.fetch('k0')),
    ...indent(ahead.stash('k0')),
    ...indent(inPlace.stash('k0')),
    '  workgroupBarrier();',
    `  if (${next} < ${u(total)}) {`,
    ...indent(ahead.fetch(next), '    '),
    '  }',
    ...indent(compute),
    '  workgroupBarrier();',
    '}',
  ];
}
