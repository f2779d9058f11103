#!/usr/bin/env bash
# Session 28's call A, PERF's part (issue 11). Run from the project root, OUT set, the build carried as $GDIST (default .gdist).
# 1. plan-s28a.json at B = 16384, f16 (4096 -> 1024 with 4 blocks, n = 4096): 4096 -> 1024's first factor
#    K(4, 256, 1024, 1) on ks-sgmat's square 8-subgroup tiles with f16 sums (256 rows x 256 β per workgroup: the source
#    staged once per block; new in session 28) and f32-sum 64 x 64 tiles on 8 subgroups (4 x 2, 2 x 4), beside the
#    f16-sum seed and every family's default; the tuned strided factors and n = 4096's tuned pair as references.
#    Then (plan-s28b.json) the same first-factor forms at B = 4096: a default must not lose at a small batch.
# 2. The same kernels' references with Dawn's robustness off (--no-robustness, bench/plan-s28r.json: the seeds, and every
#    family's default again): what Tint's clamps cost the real kernels (session 9's roofline priced them on probes only).
# 3. f32 n = 4096 (every family's default), robustness off, then on (the f16 pair runs on then off: an order effect shows).
# Ran as session 28's call 2 (bench/results/s28/call-2/perf); its plans plan-s28a and plan-s28b are there now, and the
# square forms that lost there (unpadded, chunks of 16, direct stores) are no longer candidates: a rerun skips them (PLAN line).
# Standalone: it sources packed.sh, which packs all of $OUT into $OUT/r.tgz when it ends; beside another packed call
# script give it its own folder and rename its pack (the other's pack skips every file named r.tgz):
#   mkdir -p $OUT/perf && OUT=$OUT/perf bash bench/results/s28/scripts/perf-a.sh; mv $OUT/perf/r.tgz $OUT/perf.tgz
# About 120 s of device time (timeouts: 190 s in all).
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
if [ -n "$DRY" ]; then F16="--sizes 256 --batch 64 --repeats 3"; F16B="--sizes 64x256x4 --batch 37 --repeats 3"; F32=$F16; else
  F16="--sizes 4096x1024x4,4096 --batch 16384 --dtypes f16"; F16B="--sizes 4096x1024x4 --batch 4096 --dtypes f16"; F32="--sizes 4096 --batch 16384 --dtypes f32"; fi
goal() { local name=$1 secs=$2; shift 2; timed $name $secs $R node $G/bench/monarch-goal.js --only monarch --no-fused "$@" --out $OUT/$name.json 2> $OUT/$name-log.txt; }
goal goal-s28a 70 $F16 --plan bench/results/s28/call-2/perf/plan-s28a.json
goal goal-s28b 30 $F16B --plan bench/results/s28/call-2/perf/plan-s28b.json
goal goal-s28r 40 $F16 --plan bench/plan-s28r.json --no-robustness
goal goal-f32r 25 $F32 --plan bench/plan-s28r.json --no-robustness
goal goal-f32 25 $F32 --plan bench/plan-s28r.json
grep -h -E 'REJECT|ERROR|PLAN|exit|uncaptured|robustness off' $OUT/log.txt $OUT/goal-*-log.txt | cut -c1-160 | head -20
for f in goal-s28a goal-s28b goal-s28r goal-f32r goal-f32; do echo "== $f"; grep -h -E 'nblocks|ms |chain' $OUT/$f-log.txt | cut -c1-230; done
exit $status
