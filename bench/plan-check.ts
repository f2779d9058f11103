/**
 * Checks monarch-goal plans before a device call: every entry must be a candidate of its family
 * for the op its key names on the H200's limits (bench/goal-families.ts) in this build, and emit.
 * monarch-goal would drop the others without a word; this prints one line per bad entry on stderr
 * and exits 1. With `--merge FILE` it also writes the union of the plans (per key, in order, each
 * schedule once) so one monarch-goal run times them all against the same defaults.
 *
 *   node dist/bench/plan-check.js bench/plan-s7b.json bench/plan-s8.json [--merge /tmp/plan.json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { planProblems } from './goal-families.js';
import { scheduleKey } from '../src/codegen/wgsl/family.js';
import type { Schedule } from '../src/codegen/wgsl/kernel.js';

type Plan = Record<string, Schedule[]>;

const argv = process.argv.slice(2);
const mergeAt = argv.indexOf('--merge');
const mergeFile = mergeAt >= 0 ? argv[mergeAt + 1] : undefined;
const files = argv.filter((_, i) => mergeAt < 0 || (i !== mergeAt && i !== mergeAt + 1));
if (files.length === 0) {
  process.stderr.write('usage: plan-check.js PLAN.json... [--merge OUT.json]\n');
  process.exit(2);
}

const merged: Plan = {};
let bad = 0;
for (const file of files) {
  const plan = JSON.parse(readFileSync(file, 'utf8')) as Plan;
  const problems = planProblems(plan);
  for (const p of problems) process.stderr.write(`PLAN INVALID ${file} ${p}\n`);
  bad += problems.length;
  const entries = Object.values(plan).reduce((n, l) => n + l.length, 0);
  process.stderr.write(`plan-check: ${file}: ${entries} entries over ${Object.keys(plan).length} keys, ${problems.length} invalid\n`);
  for (const [key, list] of Object.entries(plan)) {
    const seen = new Set((merged[key] ??= []).map(scheduleKey));
    for (const s of list) {
      if (seen.has(scheduleKey(s))) continue;
      seen.add(scheduleKey(s));
      merged[key].push(s);
    }
  }
}
if (mergeFile) writeFileSync(mergeFile, JSON.stringify(merged, null, 1) + '\n');
process.exit(bad > 0 ? 1 : 0);
