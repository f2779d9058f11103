#!/usr/bin/env bash
# Session 28's last call, PERF's part (issue 11): the untuned 4096 -> 1024 f16 build is 1.31x its tuned one since the
# square-tile seed (call 3: `monc bench --no-tuning` 0.3073 = 0.2149 + 0.1021, tuned 0.2350; target <= 1.25x, so the
# untuned build needs <= 0.2937). bench/plan-s28d.json beside every family's default, at B = 16384 and B = 4096:
# the first factor K(4, 256, 1024, 1) on ks-sgmat's new 16-subgroup f32-sum tiles (64 x 32 or 32 x 64 on 4 x 4: 512
# invocations, 256 x 128 or 128 x 256 per workgroup; tk 16, 32, 32 + pad 8), and the strided factor's f32-sum default
# with `ow` (its last output round overlapped; s22: 0.1005 vs 0.1016), with and without pd 2; and the default's 2 x 4 of 64 x 32
# in padded chunks of 32 instead of 64.
# Run from the project root, OUT set, the build carried as $GDIST (default .gdist). Standalone (packs $OUT into r.tgz);
# beside another packed call script:
#   mkdir -p $OUT/perf && OUT=$OUT/perf bash bench/results/s28/scripts/perf-c.sh; mv $OUT/perf/r.tgz $OUT/perf.tgz
# About 45 s of device time (timeouts: 60 + 40).
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
if [ -n "$DRY" ]; then A="--sizes 64x256x4 --batch 64 --repeats 3"; B="--sizes 64x256x4 --batch 37 --repeats 3"; else
  A="--sizes 4096x1024x4 --batch 16384 --dtypes f16"; B="--sizes 4096x1024x4 --batch 4096 --dtypes f16"; fi
timed goal-s28d 60 $R node $G/bench/monarch-goal.js --only monarch --no-fused $A --plan bench/plan-s28d.json --out $OUT/goal-s28d.json 2> $OUT/goal-s28d-log.txt
timed goal-s28d4k 40 $R node $G/bench/monarch-goal.js --only monarch --no-fused $B --plan bench/plan-s28d.json --out $OUT/goal-s28d4k.json 2> $OUT/goal-s28d4k-log.txt
grep -h -E 'REJECT|ERROR|PLAN|exit|^step' $OUT/log.txt $OUT/goal-s28d*-log.txt | head -20
for f in goal-s28d goal-s28d4k; do echo "== $f"; grep -h -E 'nblocks|ms |chain' $OUT/$f-log.txt | cut -c1-230; done
exit $status
