#!/usr/bin/env bash
# Session 29's call A, PERF's part (issue 11, gap 1: the untuned 4096 -> 1024 f16 build is 1.31x its tuned one, H100 s28
# call 3: `monc bench --no-tuning` 0.3073 = first factor 0.2149 (f32 sums, the untuned default) + strided 0.1021; tuned
# 0.2350; <= 1.25x needs the untuned chain <= 0.2937). bench/plan-s29a.json beside every family's default:
# 1. B = 16384, 4096 -> 1024 and 1024 -> 4096 (4 blocks), f16:
#    - the first factor K(4, 256, 1024, 1) on the f32-sum ks-sgmat forms around the default never timed there: 32 x 32
#      subgroup tiles on 4 x 2 and 2 x 4, tk 64 (32 result registers; its other neighbours lost in sessions 13-19:
#      64 x 32 in chunks of 32 0.2539-0.2605, 4 x 2 of 32 x 64 0.2175, 2 x 2 grids 0.2856-0.2918, vs 0.2154);
#    - why f32 sums cost 25-30% on the same tile (s28: 64 x 64 on 4 x 2, tk 32 + pad 8, 0.2204 f32 vs 0.1703 f16): that
#      form and its f16-sum twin (the seed), and the default's tile and its f16-sum twin, each whole, without its MMAs
#      (probe mma) and without its output stage (probe out); bench-only probes, wrong results by design;
#    - the strided factor's f32-sum default (0.1021) with `ow`, with and without pd 2, at tk 64, in 8 row chunks (256
#      workgroups instead of 128), 8 chunks in one output round (et 2), 32 β a workgroup; `ow` at 1024 -> 4096's d = 4 factor too
#      (the same default serves it: a default change must not lose there).
# 2. B = 4096, 4096 -> 1024: the same (a default must not lose at a small batch).
# 3. The user's path, 4096:1024:4:f16, B = 16384: `monc bench --no-tuning`, `monc tune --max-candidates 24
#    --forward-only`, `monc bench --tuning` (this card's untuned/tuned ratio; s28 call 3 on an H100: 0.3073 / 0.2350).
# Run from the project root, OUT set, the build carried as $GDIST (default .gdist). Standalone (packs $OUT into r.tgz);
# beside another packed call script:
#   mkdir -p $OUT/perf && OUT=$OUT/perf bash bench/results/s29/scripts/perf-a.sh; mv $OUT/perf/r.tgz $OUT/perf.tgz
# About 110 s of device time (timeouts: 90 + 40 + 60 + 90 + 60).
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
if [ -n "$DRY" ]; then A="--sizes 64x256x4 --batch 64 --repeats 3"; B="--sizes 64x256x4 --batch 37 --repeats 3"; else
  A="--sizes 4096x1024x4,1024x4096x4 --batch 16384 --dtypes f16"; B="--sizes 4096x1024x4 --batch 4096 --dtypes f16"; fi
plan_check bench/plan-s29a.json
timed goal-s29a 90 $R node $G/bench/monarch-goal.js --only monarch --no-fused $A --plan bench/plan-s29a.json --out $OUT/goal-s29a.json 2> $OUT/goal-s29a-log.txt
timed goal-s29a4k 40 $R node $G/bench/monarch-goal.js --only monarch --no-fused $B --plan bench/plan-s29a.json --out $OUT/goal-s29a4k.json 2> $OUT/goal-s29a4k-log.txt
if [ -n "$DRY" ]; then cli_cases 90 64:256:4:f32:64:2; else cli_cases 90 4096:1024:4:f16:16384:24; fi
grep -h -E 'REJECT|ERROR|PLAN|exit|^step' $OUT/log.txt $OUT/goal-s29a*-log.txt | head -20
for f in goal-s29a goal-s29a4k; do echo "== $f"; grep -h -E 'nblocks|ms |chain' $OUT/$f-log.txt | cut -c1-230; done
grep -h -o '"ms": *[0-9.]*' $OUT/cli-wide/untuned-*.json $OUT/cli-wide/tuned-*.json 2>/dev/null | head -12
exit $status
