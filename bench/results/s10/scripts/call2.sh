#!/usr/bin/env bash
# Session 10, device call 2 (issue 11), for the H200: what call 1 (an H100) found, confirmed where
# the targets are set, and the host path last measured in session 6.
#  1. plan-check of the second plans (bench/plan-s10a2.json, KB's plan-s10b.json rewritten for call 2, plan-s10c2.json: 58 entries) and monarch-goal over them beside every
#     default: n=4096, 1024->4096, 4096->1024 at B=16384, f16 and f32; n=16384 at B=4096.
#  2. bench/host-path.ts at B = 1, 512, 4096 (today's defaults; the modes and phases it records)
#     beside bench/torch_baseline.py --host-only (PyTorch's pinned round trip).
#  3. bench/torch_baseline.py (fly bmm, dense, torch.compile): same-session ratios.
# MONC_DRY=1: the SwiftShader rehearsal of bench/results/s8/scripts/common.sh.
# PLANS="a.json b.json": other plans instead (session 11's call); GOAL_ONLY=1: steps 2-3 left out.
. bench/results/s8/scripts/common.sh
PLANS=${PLANS:-$(ls bench/plan-s10a2.json bench/plan-s10b.json bench/plan-s10c2.json 2>/dev/null)}
if [ -n "$DRY" ]; then
  GOAL="--sizes 256,64x256x4 --batch 64 --repeats 3"
  GOAL16="--sizes 256 --batch 64 --repeats 3"
  HOST="--n 256 --nblocks 16 --batches 1,64 --chunk-rows 16,32 --repeats 3 --warmup 1"
else
  GOAL="--sizes 4096,1024x4096x4,4096x1024x4 --batch 16384"
  GOAL16="--sizes 16384 --batch 4096"
  HOST="--batches 1,512,4096 --chunk-rows 1024 --repeats 30 --warmup 10"
fi
$R --probe >> $OUT/log.txt 2>&1 || echo "adapter probe failed" | tee -a $OUT/log.txt >&3
plan_check $PLANS --merge $OUT/plan.json
step monarch-goal 240 $R node .gdist/bench/monarch-goal.js --only monarch --no-fused $GOAL --plan $OUT/plan.json --out $OUT/goal.json 2> $OUT/goal-log.txt
step monarch-goal-16k 80 $R node .gdist/bench/monarch-goal.js --only monarch --no-fused $GOAL16 --plan $OUT/plan.json --out $OUT/goal-16k.json 2> $OUT/goal-16k-log.txt
if [ -z "${GOAL_ONLY:-}" ]; then
step host-path 100 $R node .gdist/bench/host-path.js $HOST --out $OUT/host-path.json 2> $OUT/host-log.txt
[ -n "$DRY" ] || PYTHONUNBUFFERED=1 step "torch_baseline --host-only" 60 python3 bench/torch_baseline.py --host-only > $OUT/torch-host.json 2>> $OUT/host-log.txt
[ -n "$DRY" ] || PYTHONUNBUFFERED=1 step torch_baseline 90 python3 bench/torch_baseline.py --compile-budget-s 50 > $OUT/torch.json 2> $OUT/torch-log.txt
fi
grep -h -E 'PLAN|two-kernel|batch [0-9]+ (fresh|out|staging|stagingRun):|=>|REJECT|ERROR|FAILED|error' $OUT/*log.txt | tail -60
exit $status
