#!/usr/bin/env bash
# Session 6, third device call: the rebuilt ks-sgmat-strided (which the sweep of call 1 timed only at
# its default: 0.319 ms vs ks-dtiled 0.523 ms for Monarch n=4096's strided factor, f16, B=16384)
# over 40 sampled schedules per case (n=4096, 1024->4096, 4096->1024; B=16384), each checked against the float64 reference before timing,
# then PyTorch's baselines (fly bmm, torch.compile, dense) in the same call. Writes 3 files under $OUT.
set -u
R="bash .gpu/run.sh"
timeout 230 $R node .gdist/bench/monarch-goal.js --only monarch --no-fused --sizes 4096,1024x4096x4,4096x1024x4 --plan bench/plan-sgmat-strided-s6.json --out $OUT/goal-strided.json 2> $OUT/goal-log.txt
PYTHONUNBUFFERED=1 timeout 75 python3 bench/torch_baseline.py --compile-budget-s 40 > $OUT/torch.json 2>> $OUT/goal-log.txt
grep -h -E 'two-kernel|ERROR|error|FAIL' $OUT/goal-log.txt | tail -30
