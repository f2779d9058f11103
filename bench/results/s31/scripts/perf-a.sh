#!/usr/bin/env bash
# Session 31's call A, PERF's part (issue 11, gap 1: the untuned 4096 -> 1024 f16 build is 1.30x its tuned one on the
# H100; its first factor K(4, 256, 1024, 1) sums in f32 on 8 subgroups of 64 x 32 (0.2137-0.2161 ms) where the f16-sum
# twin on the same tile takes 0.1750, and neither the MMAs (s30 roofline mma-acc) nor the staging (s29 probes) alone
# differ). The reading left is occupancy: ~144 registers a lane leave one 8-warp workgroup an SM for the f32 form, two
# for the f16 one. bench/plan-s31a.json times bench-only trials on 16 subgroups (512 invocations, bench/sgmat-trials.ts:
# 16 warps an SM in one workgroup, the same 64 x 32 subgroup tiles and 64 registers of f32 sums, a smaller share of the
# staging each) beside every family's default:
# 1. B = 16384, f16: 4096 -> 1024's first factor: the default's tile in chunks of 32 (8 subgroups, the trials' chunk),
#    4 x 4 (256 x 128) and 2 x 8 (128 x 256) of 64 x 32, 4 x 4 of 32 x 32, 4 x 4 of 64 x 32 in double-buffered chunks
#    of 16, f32 sums; the f16-sum twins of the default and of both 64 x 32 trials, 4 x 4 of 64 x 64 with f16 sums (the
#    square seed's 256 x 256 on 16 warps); the square seed; the strided d = 4 seed (the tuned chain). 1024 -> 4096's
#    first factor K(4, 256, 256, 1) (the same default): both 64 x 32 trials, f32 sums.
# 2. B = 4096: 4096 -> 1024 the same plan; n = 16384's K(128, 128, 128, 1) (the same default): 4 x 4 of 64 x 32.
# Run from the project root, OUT set, the build carried as $GDIST (default .gdist); beside another packed call script:
#   mkdir -p $OUT/perf && OUT=$OUT/perf bash bench/results/s31/scripts/perf-a.sh; mv $OUT/perf/r.tgz $OUT/perf.tgz
# About 50-70 s of device time (timeouts: 60 + 50).
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
if [ -n "$DRY" ]; then A="--sizes 64x256x4 --batch 64 --repeats 3"; B="--sizes 64x256x4 --batch 37 --repeats 3"; else
  A="--sizes 4096x1024x4,1024x4096x4 --batch 16384 --dtypes f16"; B="--sizes 4096x1024x4,16384x16384x128 --batch 4096 --dtypes f16"; fi
plan_check bench/plan-s31a.json
timed goal-s31a 60 $R node $G/bench/monarch-goal.js --only monarch --no-fused $A --plan bench/plan-s31a.json --out $OUT/goal-s31a.json 2> $OUT/goal-s31a-log.txt
timed goal-s31a4k 50 $R node $G/bench/monarch-goal.js --only monarch --no-fused $B --plan bench/plan-s31a.json --out $OUT/goal-s31a4k.json 2> $OUT/goal-s31a4k-log.txt
grep -h -E 'REJECT|ERROR|PLAN|exit|uncaptured|^step' $OUT/log.txt $OUT/goal-s31a*-log.txt | head -20
for f in goal-s31a goal-s31a4k; do echo "== $f"; grep -h -E 'nblocks|ms |chain' $OUT/$f-log.txt | cut -c1-250; done
exit $status
