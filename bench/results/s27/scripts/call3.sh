#!/usr/bin/env bash
# Session 27's third device call, PERF's part (issue 11; about 70 s of device time, f16 only), bench/plan-s27d.json:
# e7f3c61's untuned strided default of c = 256 ops (8 δ × 64 β in 32-row tiles) at the c = 256 shapes it moved untimed
# (REV27-6: Monarch 8192 with 32 blocks, 4096 -> 16384 with 16, 16384 with 64; B = 4096) beside the s26 default (16 δ ×
# 16 β) and its pd 2 twin (call 2, B = 4096, 4096 with 16 blocks: 0.1603 against 0.1823), then that twin at B = 16384 on
# n = 4096 with 16 blocks (where call 1 timed the default: 0.6851). Standalone (packs $OUT into r.tgz). Beside another
# packed call script, run it first in its own folder and rename its pack, which the other's pack would skip (it
# excludes every file named r.tgz):
#   mkdir -p $OUT/perf && OUT=$OUT/perf bash bench/results/s27/scripts/call3.sh; mv $OUT/perf/r.tgz $OUT/perf.tgz
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
if [ -n "$DRY" ]; then A="--sizes 256x256x4 --batch 37 --repeats 3"; B="--sizes 256x256x4 --batch 64 --repeats 3"; else
  A="--sizes 8192x8192x32,4096x16384x16,16384x16384x64 --batch 4096 --dtypes f16"; B="--sizes 4096x4096x16 --batch 16384 --dtypes f16"; fi
timed goal-s27d-4096 60 $R node $G/bench/monarch-goal.js --only monarch --no-fused $A --plan bench/plan-s27d.json --out $OUT/goal-s27d-4096.json 2> $OUT/goal-s27d-4096-log.txt
timed goal-s27d-16384 25 $R node $G/bench/monarch-goal.js --only monarch --no-fused $B --plan bench/plan-s27d.json --out $OUT/goal-s27d-16384.json 2> $OUT/goal-s27d-16384-log.txt
grep -h -E 'REJECT|ERROR|PLAN|exit|^step' $OUT/log.txt $OUT/goal-s27d-*-log.txt | head -20
grep -h -E 'nblocks|ks-sgmat-strided|chain' $OUT/goal-s27d-*-log.txt | cut -c1-200
exit $status
