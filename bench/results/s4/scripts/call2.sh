#!/usr/bin/env bash
# Session 4 (issue 11), second device call: ks-dtiled's larger register/δ tiles on Monarch
# n = 4096's strided factor (bench/results/s4/plan-dtiled.json), each checked against the float64
# reference then timed, and the best two-kernel chains. Project root, .gpu and .gdist carried.
set -u
timeout 200 bash .gpu/run.sh node .gdist/bench/monarch-goal.js --only monarch --sizes 4096 --plan bench/results/s4/plan-dtiled.json --out $OUT/goal-plan.json 2> $OUT/goal-plan-log.txt
grep -v '^{' $OUT/goal-plan-log.txt | tail -40
