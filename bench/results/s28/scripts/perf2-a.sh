#!/usr/bin/env bash
# Session 28's call A, PERF2's part (issue 11, f32 only). Run from the project root, OUT set, the build carried as
# $GDIST (default .gdist). $PLAN (call 2's plan-s28f.json, then the confirm call's plan-s28g.json: the reduction split
# over 2 or 4 invocations of 4 β, `sk`; both timed, now in bench/results/s28/call-2/perf2 and call-3/perf2, so PLAN
# must name one): the strided f32 factor with W resident in registers and
# rows streamed (ks-dtiled `wres`, new in session 28) beside every f32 family's default (the staged ks-dtiled default among them):
# 1. n = 4096 with 64 blocks, B = 16384 (key 4096/f32/op1, K(1,64,64,64)): 8 wres shapes;
# 2. n = 16384 with 128 blocks, B = 4096 (key 16384/f32/op1, K(1,128,128,128)): 5 wres shapes.
# Standalone: it sources packed.sh, which packs all of $OUT into $OUT/r.tgz when it ends; beside another packed call
# script give it its own folder and rename its pack (the other's pack skips every file named r.tgz):
#   mkdir -p $OUT/perf2 && OUT=$OUT/perf2 bash bench/results/s28/scripts/perf2-a.sh; mv $OUT/perf2/r.tgz $OUT/perf2.tgz
# About 70 s of device time (timeouts: 120 s in all).
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
PLAN=${PLAN:?set PLAN to a plan file (the timed ones: bench/results/s28/call-2/perf2/plan-s28f.json, call-3/perf2/plan-s28g.json)}
if [ -n "$DRY" ]; then A="--sizes 256 --batch 64 --repeats 3"; B="--sizes 256 --batch 37 --repeats 3"; else
  A="--sizes 4096 --batch 16384 --dtypes f32"; B="--sizes 16384 --batch 4096 --dtypes f32"; fi
goal() { local name=$1 secs=$2; shift 2; timed $name $secs $R node $G/bench/monarch-goal.js --only monarch --no-fused "$@" --out $OUT/$name.json 2> $OUT/$name-log.txt; }
goal goal-s28f-4096 60 $A --plan $PLAN
goal goal-s28f-16384 60 $B --plan $PLAN
grep -h -E 'REJECT|ERROR|PLAN|exit|uncaptured' $OUT/log.txt $OUT/goal-*-log.txt | cut -c1-200 | head -20
for f in goal-s28f-4096 goal-s28f-16384; do echo "== $f"; grep -h -E 'nblocks|ms |chain' $OUT/$f-log.txt | cut -c1-230; done
exit $status
