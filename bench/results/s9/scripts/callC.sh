#!/usr/bin/env bash
# Session 9, device call C (issue 11; README.md beside this folder): what Dawn reaches on the GPU,
# and why the fused tensor-core Monarch (ks-pair-sgmat) takes 2.12 ms at n=4096.
#  1. plan-check of bench/results/s9/plan-s9.json (every ks-pair-sgmat candidate of n=4096 and
#     1024->4096 on the H200's limits: 23 + 9, of which session 6 timed 10 + 9; and each of them
#     again with the new knob tcols, the intermediate by columns: 64 entries), merged into
#     plan.json. A bad entry fails the call's exit status (the rest still runs).
#  2. bench/roofline.ts at issue 11's shape (B=16384 x n=4096, b=c=64; f32 and f16): copy,
#     Monarch permutation, the strided factor's delta runs, L2 reads, tensor cores (registers,
#     matrix loads from storage and workgroup memory, barriers, the f32->f16 hand-over), FP32 FMA;
#     each probe checked against its CPU statement, then timed.
#  3. the same with Dawn's robustness off (movement and tensor-core probes): what Tint's clamps cost.
#  4. monarch-goal over plan.json: every ks-pair-sgmat candidate beside every family's default
#     (op0, op1, their chain; f32 and f16) for n=4096 and 1024->4096 at B=16384, each checked
#     against float64 then timed: the pair's twins (pad, cols, odelta, xblocks, subgroups, tcols).
# Writes 8 files under $OUT. Estimated 330 s on the H200 (timeouts sum to 500 s).
# MONC_DRY=1 (s8's common.sh): a rehearsal on SwiftShader: roofline --dry (f16 and tensor-core
# probes reported skipped), monarch-goal at n=256 / 64->256, B=64 (f32 only there; the plan's keys
# are n=4096's, so it times the defaults), 3 repeats; timeouts x4.
. bench/results/s8/scripts/common.sh
if [ -n "$DRY" ]; then
  ROOF="--dry --repeats 10"
  GOAL="--sizes 256,64x256x4 --batch 64 --repeats 3"
else
  ROOF="--repeats 20"
  GOAL="--sizes 4096,1024x4096x4 --batch 16384"
fi
$R --probe >> $OUT/log.txt 2>&1 || echo "adapter probe failed" | tee -a $OUT/log.txt >&3   # features, limits, subgroup-matrix configs
plan_check bench/results/s9/plan-s9.json --merge $OUT/plan.json
step roofline 150 $R node .gdist/bench/roofline.js $ROOF --out $OUT/roofline.json 2> $OUT/roofline-log.txt
step roofline-no-robustness 90 $R node .gdist/bench/roofline.js $ROOF --no-robustness --only permute,runs,mma --out $OUT/roofline-norobust.json 2> $OUT/roofline-norobust-log.txt
step pair-sgmat 260 $R node .gdist/bench/monarch-goal.js --only monarch $GOAL --plan $OUT/plan.json --out $OUT/goal-pair.json 2> $OUT/goal-pair-log.txt
grep -h -E 'PLAN|skipped|FAILED|ERROR|REJECT|two-kernel|error' $OUT/*log.txt | tail -60
exit $status
