#!/usr/bin/env bash
# Session 29's call A, PERF2's part (issue 11, f32 only). Run from the project root, OUT set, the build carried as
# $GDIST (default .gdist). plan-s29f.json times the contiguous (first) f32 factor with W resident in registers and
# rows streamed (ks-tiled `wres`, new in session 29: ab α blocks a workgroup, the reduction split over sk invocations of
# 4 β) beside every f32 family's default (ks-tiled's staged default among them), and the tuner's strided seed (ks-dtiled
# wres sk 2, 1024 rows) so the re-timed two-kernel chain can take both resident forms:
# 1. n = 4096 with 64 blocks, B = 16384 (key 4096/f32/op0, K(64,64,64,1)): 8 shapes; op1: the strided seed;
# 2. n = 16384 with 128 blocks, B = 4096 (key 16384/f32/op0, K(128,128,128,1)): 4 shapes (c = 128: split in 4);
# 3. plan-s29g.json, n = 4096 at B = 4096: session 28's unrun plan-s28h (the strided seed at 1024 / 512 / 256 /
#    128 rows beside the staged default: the seed's batch rule takes 256 there) and 3 of the new first-factor shapes at
#    256 / 512 rows (a batch rule for them: 128 workgroups at 256 rows of 8 α).
# Timed in session 29's call 1 (bench/results/s29/call-1/perf2, where both plans now are); ks-tiled wres lost at every
# shape and left the candidates after it (code at 6d5b687), so plan-check now finds its entries invalid.
# Standalone: it sources packed.sh, which packs all of $OUT into $OUT/r.tgz when it ends; beside another packed call
# script give it its own folder and rename its pack:
#   mkdir -p $OUT/perf2 && OUT=$OUT/perf2 bash bench/results/s29/scripts/perf2-a.sh; mv $OUT/perf2/r.tgz $OUT/perf2.tgz
# About 40 s of device time (session 28's like steps took 8-14 s each; timeouts: 120 s in all).
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
PLAN=${PLAN:-bench/results/s29/call-1/perf2/plan-s29f.json}
if [ -n "$DRY" ]; then A="--sizes 256 --batch 64 --repeats 3"; B="--sizes 256 --batch 37 --repeats 3"; C="--sizes 256 --batch 16 --repeats 3"; else
  A="--sizes 4096 --batch 16384 --dtypes f32"; B="--sizes 16384 --batch 4096 --dtypes f32"; C="--sizes 4096 --batch 4096 --dtypes f32"; fi
goal() { local name=$1 secs=$2; shift 2; timed $name $secs $R node $G/bench/monarch-goal.js --only monarch --no-fused "$@" --out $OUT/$name.json 2> $OUT/$name-log.txt; }
goal goal-s29f-4096 50 $A --plan $PLAN
goal goal-s29f-16384 40 $B --plan $PLAN
goal goal-s29g-4096-b4096 30 $C --plan bench/results/s29/call-1/perf2/plan-s29g.json
grep -h -E 'REJECT|ERROR|PLAN|exit|uncaptured' $OUT/log.txt $OUT/goal-*-log.txt | cut -c1-200 | head -20
for f in goal-s29f-4096 goal-s29f-16384 goal-s29g-4096-b4096; do echo "== $f"; grep -h -E 'nblocks|ms |chain' $OUT/$f-log.txt | cut -c1-230; done
exit $status
