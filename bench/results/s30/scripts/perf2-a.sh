#!/usr/bin/env bash
# Session 30's call A, PERF2's part (issue 11, f32 strided factors only). Run from the project root, OUT set, the build
# carried as $GDIST (default .gdist). plan-s30b.json (now in bench/results/s30/call-1/perf2) times strided-factor forms
# never timed in this build's form beside every f32 family's default (the staged ks-dtiled default is the reference of
# each step):
# 1. n = 16384 with 128 blocks, B = 4096 (key 16384/f32/op1, K(1,128,128,128); the 1.0 ms target's gap): ks-dtiled
#    with all 128 β in one workgroup (32 rows x 128 β x 8 δ, 8x8, pl ku pad: each source chunk staged by one workgroup
#    where the default's 64 β stage it twice; last timed in session 10-11's form without pad, 0.948 ms), ks-dvec with
#    16 δ (64-byte runs, vec4 loads and stores along δ) at 64 and 32 rows, and ks-dvec 128 rows x 64 β x 8 δ;
# 2. n = 4096 with 64 blocks, B = 16384 (key 4096/f32/op1, K(1,64,64,64)): the tuner's strided seed (ks-dtiled wres
#    sk 2, 1024 rows: session 29 0.3589) and the same three ks-dvec shapes.
# Standalone: it sources packed.sh, which packs all of $OUT into $OUT/r.tgz when it ends; beside another packed call
# script give it its own folder and rename its pack:
#   mkdir -p $OUT/perf2 && OUT=$OUT/perf2 bash bench/results/s30/scripts/perf2-a.sh; mv $OUT/perf2/r.tgz $OUT/perf2.tgz
# About 30 s of device time (session 29's like steps took 10-15 s each; timeouts: 80 s in all).
# Timed in session 30's call A (H100, build 8193df9; bench/results/s30/call-1/perf2, where the plan now is): every entry
# lost; ks-dvec's 512-invocation forms of 32 vec4 accumulators then left its candidates, so plan-check finds those invalid.
# MONC_DRY=1: a rehearsal on SwiftShader (small shapes, timeouts x4; no plan key matches there).
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
PLAN=${PLAN:-bench/results/s30/call-1/perf2/plan-s30b.json}
if [ -n "$DRY" ]; then A="--sizes 256 --batch 37 --repeats 3"; B="--sizes 256 --batch 64 --repeats 3"; else
  A="--sizes 16384 --batch 4096 --dtypes f32"; B="--sizes 4096 --batch 16384 --dtypes f32"; fi
goal() { local name=$1 secs=$2; shift 2; timed $name $secs $R node $G/bench/monarch-goal.js --only monarch --no-fused "$@" --out $OUT/$name.json 2> $OUT/$name-log.txt; }
goal goal-s30b-16384 40 $A --plan $PLAN
goal goal-s30b-4096 40 $B --plan $PLAN
grep -h -E 'REJECT|ERROR|PLAN|exit|uncaptured' $OUT/log.txt $OUT/goal-*-log.txt | cut -c1-200 | head -20
for f in goal-s30b-16384 goal-s30b-4096; do echo "== $f"; grep -h -E 'nblocks|ms |chain' $OUT/$f-log.txt | cut -c1-230; done
exit $status
