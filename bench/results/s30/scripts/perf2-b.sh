#!/usr/bin/env bash
# Session 30's confirm call, PERF2's part (issue 11, f32 strided factors). Run from the project root, OUT set, a build
# at or after 88d7a3c carried as $GDIST (default .gdist). Times ks-dtiled's resident-W form (`wres`, the tuner's f32
# strided seed) with and without `ss` (88d7a3c: every part of the split reduction adds and stores its share of the sums,
# where part 0 alone did while the other parts waited), beside every f32 family's default (the staged default):
# 1. n = 4096 with 64 blocks, B = 16384 (plan-s30e, key 4096/f32/op1): the seed (sk 2) at 1024 and 512 rows and sk 4 at
#    1024 rows, each with and without ss;
# 2. n = 16384 with 128 blocks, B = 4096 (plan-s30e, key 16384/f32/op1): sk 4, 512 rows x 32 β, with and without ss;
# 3. n = 4096 at B = 4096 (plan-s30d): the seed's batch rule's row count there (256), sk 2 with and without ss, sk 4 ss.
# Standalone it packs $OUT into $OUT/r.tgz; beside another packed call script:
#   mkdir -p $OUT/perf2 && OUT=$OUT/perf2 bash bench/results/s30/scripts/perf2-b.sh; mv $OUT/perf2/r.tgz $OUT/perf2.tgz
# About 30 s of device time (call A's two steps took 48 s with PERF's; timeouts: 90 s in all).
# Timed in session 30's call 2 (H100, bench/results/s30/call-2/perf2, where both plans now are): ss lost and left the
# candidates after it (code at dd148bb), so plan-check now finds its entries invalid.
# MONC_DRY=1: a rehearsal on SwiftShader (small shapes, timeouts x4; no plan key matches there).
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
if [ -n "$DRY" ]; then A="--sizes 256 --batch 64 --repeats 3"; B="--sizes 256 --batch 37 --repeats 3"; C="--sizes 256 --batch 16 --repeats 3"; else
  A="--sizes 4096 --batch 16384 --dtypes f32"; B="--sizes 16384 --batch 4096 --dtypes f32"; C="--sizes 4096 --batch 4096 --dtypes f32"; fi
goal() { local name=$1 secs=$2; shift 2; timed $name $secs $R node $G/bench/monarch-goal.js --only monarch --no-fused "$@" --out $OUT/$name.json 2> $OUT/$name-log.txt; }
goal goal-s30e-4096 40 $A --plan bench/results/s30/call-2/perf2/plan-s30e.json
goal goal-s30e-16384 30 $B --plan bench/results/s30/call-2/perf2/plan-s30e.json
goal goal-s30d-4096-b4096 20 $C --plan bench/results/s30/call-2/perf2/plan-s30d.json
grep -h -E 'REJECT|ERROR|PLAN|exit|uncaptured' $OUT/log.txt $OUT/goal-*-log.txt | cut -c1-200 | head -20
for f in goal-s30e-4096 goal-s30e-16384 goal-s30d-4096-b4096; do echo "== $f"; grep -h -E 'nblocks|ms |chain' $OUT/$f-log.txt | cut -c1-230; done
exit $status
