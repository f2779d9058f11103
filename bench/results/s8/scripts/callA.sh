#!/usr/bin/env bash
# Session 8 plan, device call A (issue 11; README.md beside this folder): the tensor-core Monarch
# schedules no GPU has run, each checked against float64 before timing, then the cases whose
# untuned defaults changed since session 7's call 1, then PyTorch's baselines, all in one call.
#  1. plan-check: every entry of bench/plan-s7b.json (84: row groups, staged W, 64-row warp tiles)
#     and bench/plan-s8.json (occupancy-driven, bench/results/s8/occupancy.md; 53 entries) is a candidate of
#     this build on the H200's limits; writes their union (plan.json). A bad entry fails the call's
#     exit status (the rest still runs).
#  2. monarch-goal over that union: n=4096, 1024->4096, 4096->1024, B=16384, f16 (and f32 with
#     its defaults plus plan-s8's f32 entries); per factor the best, then the best chain.
#  3. sweep of monarch-rect (1024->4096, 4096->1024; f32 and f16): the untuned f16 strided
#     default became tk 64 (de042bd) after call 1, so the untuned/tuned ratio is re-measured.
#  4. bench/torch_baseline.py: fly bmm, dense, torch.compile (same session: ratios).
# Writes 8 files under $OUT. Estimated 420 s on the H200 (timeouts sum to 490 s).
# MONC_DRY=1 (common.sh): a rehearsal on SwiftShader (this machine): SwiftShader-sized shapes, 3 repeats, no PyTorch;
# monarch-goal reads scripts/dry-plan.json there (one entry it times, one beyond SwiftShader's limits it must report skipping).
. bench/results/s8/scripts/common.sh
if [ -n "$DRY" ]; then
  GOAL="--sizes 256,64x256x4,256x64x4 --batch 64 --repeats 3"
  PLAN=bench/results/s8/scripts/dry-plan.json
  SWEEP="--quick --only monarch --max-candidates 2 --budget-s 30 --deadline-s 40 --repeats 3 --tune-repeats 2"
else
  GOAL="--sizes 4096,1024x4096x4,4096x1024x4 --batch 16384"
  PLAN=$OUT/plan.json
  SWEEP="--only monarch-rect --max-candidates 12 --budget-s 90 --deadline-s 100"
fi
plan_check bench/plan-s7b.json bench/plan-s8.json --merge $OUT/plan.json
step monarch-goal 270 $R node .gdist/bench/monarch-goal.js --only monarch --no-fused $GOAL --plan $PLAN --out $OUT/goal.json 2> $OUT/goal-log.txt
step sweep 130 $R node .gdist/bench/sweep.js $SWEEP --out $OUT/sweep.json 2> $OUT/sweep-log.txt
[ -n "$DRY" ] || PYTHONUNBUFFERED=1 step torch_baseline 90 python3 bench/torch_baseline.py --compile-budget-s 50 > $OUT/torch.json 2> $OUT/torch-log.txt
grep -h -E 'PLAN|two-kernel|=>|REJECT|ERROR|FAILED|error' $OUT/*log.txt | tail -60
exit $status
