#!/usr/bin/env bash
# Session 10, device call 1 (issue 11): the kernel knobs of this session beside every default,
# each checked against float64 before timing, and PyTorch's baselines in the same call.
#  1. plan-check of the plans that exist among bench/plan-s10a.json (ks-sgmat: f16 result matrices,
#     one-round epilogue), plan-s10b.json (ks-sgmat-strided, same ideas) and plan-s10c.json (f32);
#     their union is plan.json.
#  2. monarch-goal over that union: n=4096, 1024->4096, 4096->1024 at B=16384, f16 and f32; per
#     factor the best, then the best chain.
#  3. monarch-goal n=16384 at B=4096 over the same union (its 16384 entries) and the defaults.
#  4. bench/torch_baseline.py (fly bmm, dense, torch.compile): same-session ratios.
# MONC_DRY=1: the SwiftShader rehearsal of bench/results/s8/scripts/common.sh.
. bench/results/s8/scripts/common.sh
PLANS=$(ls bench/plan-s10a.json bench/plan-s10b.json bench/plan-s10c.json 2>/dev/null)
if [ -n "$DRY" ]; then
  GOAL="--sizes 256,64x256x4 --batch 64 --repeats 3"
  GOAL16="--sizes 256 --batch 64 --repeats 3"
else
  GOAL="--sizes 4096,1024x4096x4,4096x1024x4 --batch 16384"
  GOAL16="--sizes 16384 --batch 4096"
fi
$R --probe >> $OUT/log.txt 2>&1 || echo "adapter probe failed" | tee -a $OUT/log.txt >&3
plan_check $PLANS --merge $OUT/plan.json
step monarch-goal 300 $R node .gdist/bench/monarch-goal.js --only monarch --no-fused $GOAL --plan $OUT/plan.json --out $OUT/goal.json 2> $OUT/goal-log.txt
step monarch-goal-16k 90 $R node .gdist/bench/monarch-goal.js --only monarch --no-fused $GOAL16 --plan $OUT/plan.json --out $OUT/goal-16k.json 2> $OUT/goal-16k-log.txt
[ -n "$DRY" ] || PYTHONUNBUFFERED=1 step torch_baseline 90 python3 bench/torch_baseline.py --compile-budget-s 50 > $OUT/torch.json 2> $OUT/torch-log.txt
grep -h -E 'PLAN|two-kernel|=>|REJECT|ERROR|FAILED|error' $OUT/*log.txt | tail -60
exit $status
