/**
 * Bench-only stage probes, first of the tensor-core families (ks-sgmat, ks-sgmat-strided), then also of the f32 strided
 * factor's ks-dtiled (session 21): a schedule's `probe` names one
 * stage of its kernel, whose WGSL then runs only under `if (batch == 0xffffffffu)`. That test is uniform and never
 * holds in a dispatch (2^32 - 1 rows are far beyond any binding's size) but the compiler cannot decide it, so the stage's
 * code and the values it feeds stay live while its cost leaves the timing. (Not `batch == 0u`: the kernels' tests
 * `r0 < batch` before their stages would let the compiler prove that false and delete the stage with what feeds it.) Timed beside the same schedule without the probe, each probe
 * indicates what one stage costs; only indicates, since the compiler also schedules what is left differently (one probe
 * ran slower than its whole kernel: 0.1801 against 0.1703 ms), so the differences do not add up (issue 11: where the d = 4 strided factor, at about 100 TFLOP/s, and 4096 -> 1024's first
 * factor, at about 160-200, spend their time; session 20 asked for the strided factor without its output stage).
 *  - `out`: the epilogue (result tiles through workgroup memory, the global stores); a barrier stays in its place
 *    where a row chunk follows, so the next chunk's staging still waits for every subgroup.
 *  - `fetch`: the staged operands' global loads (the stores into workgroup memory then store stale registers).
 *  - `stage`: those loads and the stores into workgroup memory (the barriers stay; matrix loads read what is there).
 *  - `mma`: the operands' matrix loads and the multiply-adds (the results stay zero).
 * Measured (H200, session 21 call 2, B = 16384, bench/results/s21/call-2; ms, the schedule first, then without out /
 * stage / fetch / mma): the d = 4 strided default at 1024 -> 4096 0.3507: 0.2740 / 0.2703 / 0.2941 / 0.3308, at 4096 -> 1024
 * 0.1022: 0.0759 / 0.0844 / 0.0854 / 0.0973; n = 4096's strided default 0.2120: 0.1296 / 0.1478 / - / 0.2052; 4096 -> 1024's
 * first factor, f16-sum seed 0.1703: 0.1545 / 0.1441 / 0.1417 / 0.1801 (ks-sgmat.ts, session 21). The strided factors wait
 * on moving data through workgroup memory, the output stage most (a quarter to two fifths), not on the tensor cores (3-6%).
 * A probe's results are wrong by design, so a probe is never a candidate (the tuner never times one) and the families'
 * defaults never carry one; bench/monarch-goal.ts times a planned probe (a candidate plus `probe`) although its float64
 * check fails, and never takes it as a chain's best.
 */
import { invariant } from '../../../util/assert.js';
import type { Schedule } from '../kernel.js';
import type { StagedCopy } from './wgsl-text.js';

export const PROBES = ['out', 'fetch', 'stage', 'mma'] as const;
export type Probe = (typeof PROBES)[number];

/** The schedule's probe (absent: none); any other value of the knob is an error. */
export function probeOf(s: Schedule): Probe | undefined {
  const p = s.probe;
  if (p === undefined) return undefined;
  invariant(typeof p === 'string' && (PROBES as readonly string[]).includes(p), `schedule ${JSON.stringify(s)}: probe must be one of ${PROBES.join(', ')}`);
  return p as Probe;
}

/** The probe as a decoded schedule's optional field (absent when off: the WGSL of every other schedule is unchanged). */
export function decodeProbe(s: Schedule): { readonly probe?: Probe } {
  const p = probeOf(s);
  return p === undefined ? {} : { probe: p };
}

/** `s` without its probe (the candidate it probes). */
export function probed(s: Schedule): Schedule {
  const { probe: _, ...rest } = s;
  return rest as Schedule;
}

/** A batch no dispatch has. */
const NEVER = '0xffffffffu';

/** `lines` under the test that never holds in a dispatch. */
function skipped(lines: readonly string[]): string[] {
  return [`if (batch == ${NEVER}) {`, ...lines.map((l) => `  ${l}`), '}'];
}

/** `lines` (the kernel's `stage` part), left out of every dispatch where `probe` names that part. */
export function unlessProbed(probe: Probe | undefined, stage: Probe, lines: readonly string[]): string[] {
  return probe === stage ? skipped(lines) : [...lines];
}

/** A staged copy whose global loads (`fetch`, `stage`) and workgroup stores (`stage`) the probe leaves out. */
export function probedCopy(copy: StagedCopy, probe: Probe | undefined): StagedCopy {
  if (probe !== 'fetch' && probe !== 'stage') return copy;
  return {
    ...copy,
    load: (v, k0) => skipped(copy.load(v, k0)),
    store: (v) => unlessProbed(probe, 'stage', copy.store(v)),
  };
}
