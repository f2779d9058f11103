#!/usr/bin/env bash
# Session 30's confirm call, PERF's part (issue 11, gap 1). Call A (bench/results/s30/call-1/perf, H100) found f32 and
# f16 result matrices at the same rate (roofline mma-acc, from registers and from workgroup rows of 72 halves), yet
# 4096 -> 1024's first factor takes 0.2161 ms with f32 sums on the untuned default's tile and 0.1750 with f16 sums;
# session 18's np (no prefetch at all) took both to about 0.22: the f32 form's 32 prefetch registers beside its 64 of
# sums are what does not pay. plan-s30c.json times ks-sgmat's new `pw` (W's chunk loaded in its own pass, only the
# source's 16 registers fetched a chunk ahead) beside every family's default:
# 1. B = 16384, f16: 4096 -> 1024's first factor K(4, 256, 1024, 1): the default's tile with pw (tk 64, and tk 32), 4 x 2
#    of 64 x 64 at tk 32 with pw; its f16-sum twin and the square seed, each without and with pw; 1024 -> 4096's
#    K(4, 1024, 256, 1) (the same default) with pw.
# 2. B = 4096: 4096 -> 1024 the same; n = 16384's K(128, 128, 128, 1) (the same default) with pw.
# Run from the project root, OUT set, the build carried as $GDIST (default .gdist); beside another packed call script:
#   mkdir -p $OUT/perf && OUT=$OUT/perf bash bench/results/s30/scripts/perf-c.sh; mv $OUT/perf/r.tgz $OUT/perf.tgz
# About 50 s of device time (timeouts: 60 + 50).
# Timed in session 30's call 2 (H100, bench/results/s30/call-2/perf, where the plan now is): pw lost at every key and
# left the candidates after it (code at dd148bb), so plan-check now finds its entries invalid.
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
PLAN=${PLAN:-bench/results/s30/call-2/perf/plan-s30c.json}
if [ -n "$DRY" ]; then A="--sizes 64x256x4 --batch 64 --repeats 3"; B="--sizes 64x256x4 --batch 37 --repeats 3"; else
  A="--sizes 4096x1024x4,1024x4096x4 --batch 16384 --dtypes f16"; B="--sizes 4096x1024x4,16384x16384x128 --batch 4096 --dtypes f16"; fi
plan_check $PLAN
timed goal-s30c 60 $R node $G/bench/monarch-goal.js --only monarch --no-fused $A --plan $PLAN --out $OUT/goal-s30c.json 2> $OUT/goal-s30c-log.txt
timed goal-s30c4k 50 $R node $G/bench/monarch-goal.js --only monarch --no-fused $B --plan $PLAN --out $OUT/goal-s30c4k.json 2> $OUT/goal-s30c4k-log.txt
grep -h -E 'REJECT|ERROR|PLAN|exit|^step' $OUT/log.txt $OUT/goal-s30c*-log.txt | head -20
for f in goal-s30c goal-s30c4k; do echo "== $f"; grep -h -E 'nblocks|ms |chain' $OUT/$f-log.txt | cut -c1-230; done
exit $status
