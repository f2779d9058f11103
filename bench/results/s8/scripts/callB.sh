#!/usr/bin/env bash
# Session 8 plan, device call B (issue 11; README.md beside this folder): the host round trip and
# Monarch n=16384, B=4096.
#  1. bench/host-path.ts: forward() of monarch(nblocks: 64) n=4096 f32 from host memory at
#     B = 1, 512, 4096 in every mode (fresh array, caller's array, stagings, pipelined chunks),
#     with the phases timed apart; then bench/torch_baseline.py --host-only (pinned round trip).
#  2. monarch-goal n=16384 B=4096 (f32, and f16) over bench/plan-s8.json's 16384 entries (the
#     16384 keys only; defaults included), the best of each factor then the chain: target 1.0 ms f32.
#  3. sweep of monarch-16k and monarch-raw (tuned vs untuned through the compiler, f32 and f16), what
#     users get (its progress lines follow monarch-goal's in goal-16k-log.txt); monarch-raw (P L Pᵀ R
#     spelled out) was last swept in session 6, before the canonicalisation (session 9 adds it).
#  4. bench/f16-fit-check.ts (review finding R15, RT2): fitMse of a dtype f16 Monarch on the device
#     against the same fit in f32; exit 1 when the f16 loss drop is below 80% of the f32 one's.
# Writes 8 files under $OUT. Estimated 430 s on the H200 (timeouts sum to 570 s).
# PyTorch's compiled n=16384 baseline comes from call A's torch.json (same session).
# MONC_DRY=1 (common.sh): a rehearsal on SwiftShader (this machine): small shapes, 3 repeats, no PyTorch;
# monarch-goal reads scripts/dry-plan.json there (one entry it times, one beyond SwiftShader's limits it must report skipping).
. bench/results/s8/scripts/common.sh
if [ -n "$DRY" ]; then
  HOST="--n 256 --nblocks 16 --batches 1,64 --chunk-rows 16,32 --repeats 3 --warmup 1"
  GOAL="--sizes 256 --batch 64 --repeats 3"
  PLAN=bench/results/s8/scripts/dry-plan.json
  SWEEP="--quick --only dense --max-candidates 2 --budget-s 20 --deadline-s 30 --repeats 3 --tune-repeats 2"
  FIT="--n 256 --nblocks 16 --rows 512 --steps 20 --lr 1e-2"
else
  HOST="--batches 1,512,4096 --repeats 30 --warmup 10"
  GOAL="--sizes 16384 --batch 4096"
  PLAN=bench/plan-s8.json
  SWEEP="--only monarch-16k,monarch-raw --max-candidates 10 --budget-s 110 --deadline-s 125"
  FIT=""
fi
step host-path 150 $R node .gdist/bench/host-path.js $HOST --out $OUT/host-path.json 2> $OUT/host-log.txt
[ -n "$DRY" ] || PYTHONUNBUFFERED=1 step "torch_baseline --host-only" 60 python3 bench/torch_baseline.py --host-only > $OUT/torch-host.json 2>> $OUT/host-log.txt
plan_check bench/plan-s8.json
step monarch-goal 150 $R node .gdist/bench/monarch-goal.js --only monarch --no-fused $GOAL --plan $PLAN --out $OUT/goal-16k.json 2> $OUT/goal-16k-log.txt
step sweep 150 $R node .gdist/bench/sweep.js $SWEEP --out $OUT/sweep-16k.json 2>> $OUT/goal-16k-log.txt
step f16-fit-check 60 $R node .gdist/bench/f16-fit-check.js $FIT --out $OUT/f16-fit.json 2>> $OUT/log.txt
grep -h -E 'PLAN|share|batch [0-9]+ (fresh|out|staging|stagingRun):|two-kernel|=>|REJECT|ERROR|FAILED|error' $OUT/*log.txt | tail -60
exit $status
