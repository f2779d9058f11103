#!/usr/bin/env bash
# Session 7, fourth device call: KERN's plan (bench/plan-s7.json): ks-sgmat-strided on the contiguous
# first factor (d = 1, new this session: vec4 along γ/β, row groups) against ks-sgmat, and strided
# schedules session 6's search did not try, for Monarch n=4096, 1024->4096, 4096->1024 (f16, B=16384);
# every candidate checked against the float64 reference before timing; the best two timed as one pass.
# PyTorch's baselines for these shapes are call 1's (same session). Writes 2 files under $OUT.
# Call 3 ran a build older than the plan (5661068): the plan's schedules with the knobs added since (rg, wstage, mr 4) were not candidates there and were skipped; this call runs bench/plan-s7b.json (those 84 entries) on the build of HEAD.
set -u
R="bash .gpu/run.sh"
timeout 200 $R node .gdist/bench/monarch-goal.js --only monarch --no-fused --sizes 4096,1024x4096x4,4096x1024x4 --plan bench/plan-s7b.json --out $OUT/goal-s7b.json 2> $OUT/goal-log.txt
grep -h -E 'two-kernel|best|ERROR|error|FAIL|REJECT' $OUT/goal-log.txt | tail -40
