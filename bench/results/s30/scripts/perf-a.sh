#!/usr/bin/env bash
# Session 30's call A, PERF's part (issue 11, gap 1: the untuned 4096 -> 1024 f16 build is 1.30x its tuned one, H100 s29:
# untuned 0.3066 = first factor K(4, 256, 1024, 1) on the f32-sum default 0.2149 + strided 0.1020; tuned 0.2359; session
# 29's probes put the difference in the f32-accumulating MMAs: 0.044 ms where f16 ones take 0.007, same staging).
# 1. roofline `mma-acc` (bench/roofline.ts, new in session 30): f32 against f16 result matrices from registers, 8 subgroups
#    of 4, 8 and 16 accumulators (ks-sgmat's 32 x 32, 64 x 32 and 64 x 64 subgroup tiles), 132, 264 and 1056 workgroups
#    (1, 2 and 8 per SM): are f32-accumulating MMAs slower through Dawn as such, or only inside the kernel (and then does a
#    second resident workgroup hide them)? Its log line also names the adapter's subgroup-matrix configurations (16x8 ones
#    would give f32 results half the registers a matrix).
# 2. B = 16384, 4096 -> 1024 f16 (bench/plan-s30a.json beside every family's default, same call): the f32-sum first factor
#    and its f16-sum twin on the same tile, the square f16-sum seed, the strided default and its d = 4 f16-sum seed (the
#    untuned and tuned chains of this card).
# Run from the project root, OUT set, the build carried as $GDIST (default .gdist). Standalone (packs $OUT into r.tgz);
# beside another packed call script:
#   mkdir -p $OUT/perf && OUT=$OUT/perf bash bench/results/s30/scripts/perf-a.sh; mv $OUT/perf/r.tgz $OUT/perf.tgz
# About 60 s of device time (timeouts: 50 + 60).
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
if [ -n "$DRY" ]; then RF="--dry"; A="--sizes 64x256x4 --batch 64 --repeats 3"; else
  RF=""; A="--sizes 4096x1024x4 --batch 16384 --dtypes f16"; fi
plan_check bench/plan-s30a.json
timed roofline-acc 50 $R node $G/bench/roofline.js $RF --only mma-acc --repeats 10 --out $OUT/roofline-acc.json 2> $OUT/roofline-acc-log.txt
timed goal-s30a 60 $R node $G/bench/monarch-goal.js --only monarch --no-fused $A --plan bench/plan-s30a.json --out $OUT/goal-s30a.json 2> $OUT/goal-s30a-log.txt
grep -h -E 'REJECT|ERROR|PLAN|exit|^step' $OUT/log.txt $OUT/goal-s30a-log.txt | head -20
grep -h '^adapter:' $OUT/roofline-acc-log.txt | cut -c1-700
python3 -c 'import json, sys; [print(p["name"], p["status"], round(p.get("ms", 0), 4), "ms", round(p.get("TFlops", 0), 1), "TFLOP/s", p.get("reason", "")) for p in json.load(open(sys.argv[1]))["probes"]]' $OUT/roofline-acc.json
echo "== goal-s30a"; grep -h -E 'nblocks|ms |chain' $OUT/goal-s30a-log.txt | cut -c1-230
exit $status
