#!/usr/bin/env bash
# Session 4 (issue 11), third device call: rectangular monarch(nblocks: 4) 1024 -> 4096 and
# 4096 -> 1024, B = 16384: larger ks-tiled tiles for the block-diagonal factor and ks-dtiled
# (dtile 4) tiles for the strided one (bench/results/s4/plan-rect.json), each checked against the
# float64 reference then timed, and the best two-kernel chains; then n = 16384, B = 4096, f32 likewise
# (bench/results/s4/plan-16k.json). Project root, .gpu and .gdist carried.
set -u
timeout 200 bash .gpu/run.sh node .gdist/bench/monarch-goal.js --only monarch --sizes 1024x4096x4,4096x1024x4 --plan bench/results/s4/plan-rect.json --out $OUT/goal-rect.json 2> $OUT/goal-rect-log.txt
timeout 90 bash .gpu/run.sh node .gdist/bench/monarch-goal.js --only monarch --sizes 16384 --batch 4096 --plan bench/results/s4/plan-16k.json --out $OUT/goal-16k.json 2> $OUT/goal-16k-log.txt
grep -hv '^{' $OUT/goal-rect-log.txt $OUT/goal-16k-log.txt | grep -v "^monarch\|fused" | tail -60
