#!/usr/bin/env bash
# Session 28's confirm call, PERF's part (issue 11): call A's square tiles for 4096 -> 1024's first factor (bench/plan-s28c.json:
# 128 x 64 on 2 x 4, now the tuner's squareTwin seed, and 64 x 128 on 4 x 2, beside the f16-sum seed and every family's
# default) timed again at B = 16384 and at B = 8192 (128 workgroups: the smallest batch squareTwin is seeded at), and
# at B = 16384 on 1024 -> 4096's first factor K(4, 256, 256, 1) (c = 256: squareTwin is not seeded there, untimed), then
# 4096 -> 1024 with 4 blocks, f16, B = 16384 through the CLI as a user runs it (`monc bench --no-tuning`, `monc tune
# --max-candidates 24 --forward-only`, `monc bench --tuning`; session 27 call 2's sweep: untuned 0.3083, tuned 0.2571;
# fly bf16 0.2096). Run from the project root, OUT set, the build carried as $GDIST
# (default .gdist). Standalone (packs $OUT into r.tgz); beside another packed call script:
#   mkdir -p $OUT/perf && OUT=$OUT/perf bash bench/results/s28/scripts/perf-b.sh; mv $OUT/perf/r.tgz $OUT/perf.tgz
# About 145 s of device time (timeouts: 75 + 30 + 60 + 150 + 60).
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
if [ -n "$DRY" ]; then A="--sizes 64x256x4 --batch 64 --repeats 3"; B="--sizes 64x256x4 --batch 37 --repeats 3"; else
  A="--sizes 4096x1024x4,1024x4096x4 --batch 16384 --dtypes f16"; B="--sizes 4096x1024x4 --batch 8192 --dtypes f16"; fi
timed goal-s28c 75 $R node $G/bench/monarch-goal.js --only monarch --no-fused $A --plan bench/plan-s28c.json --out $OUT/goal-s28c.json 2> $OUT/goal-s28c-log.txt
timed goal-s28c8k 30 $R node $G/bench/monarch-goal.js --only monarch --no-fused $B --plan bench/plan-s28c.json --out $OUT/goal-s28c8k.json 2> $OUT/goal-s28c8k-log.txt
if [ -n "$DRY" ]; then cli_cases 150 64:256:4:f32:64:2; else cli_cases 150 4096:1024:4:f16:16384:24; fi
grep -h -E 'REJECT|ERROR|PLAN|exit|^step' $OUT/log.txt $OUT/goal-s28c*-log.txt | head -20
for f in goal-s28c goal-s28c8k; do echo "== $f"; grep -h -E 'nblocks|ms |chain' $OUT/$f-log.txt | cut -c1-230; done
grep -h -o '"ms": *[0-9.]*' $OUT/cli-wide/untuned-*.json $OUT/cli-wide/tuned-*.json 2>/dev/null | head -12
exit $status
