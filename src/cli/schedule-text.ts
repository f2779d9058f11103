/** Schedules in terminal output: `ks-tiled rows=64 cols=32 …` (the JSON output keeps the object). */
import type { Schedule } from '../codegen/wgsl/kernel.js';

export function scheduleText(schedule: Schedule): string {
  const knobs = Object.entries(schedule).filter(([k]) => k !== 'family');
  return [schedule.family, ...knobs.map(([k, v]) => `${k}=${String(v)}`)].join(' ');
}

/** Op indices of a kernel: `3`, or `0+1+2` (a fused run). */
export function opsText(ops: readonly number[]): string {
  return ops.join('+');
}
