#!/usr/bin/env bash
# Session 27's second device call, PERF's part (issue 11): e7f3c61's untuned strided default of c = 256 ops (8 δ × 64 β,
# 32-row tiles) and its new f16-sum seed, confirmed (1) at B = 4096 beside the s26 default it replaced (bench/plan-s27c.json;
# call 1 timed them at B = 16384 only) and (2) through the CLI at B = 16384: `monc bench --no-tuning`, `monc tune
# --max-candidates 20 --forward-only`, `monc bench --tuning` of n = 4096 with 16 blocks, f16 (s26 call 2: untuned 1.0659,
# tuned 0.8330, 1.28x; target <= 1.25x). Standalone (packs $OUT into r.tgz); beside another packed call script give it
# its own folder and rename its pack, which the other's pack skips (it excludes every file named r.tgz; call 2 lost it so):
# mkdir -p $OUT/perf && OUT=$OUT/perf bash bench/results/s27/scripts/confirm.sh; mv $OUT/perf/r.tgz $OUT/perf.tgz. About 90 s.
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
if [ -n "$DRY" ]; then C="--sizes 256x256x4 --batch 37 --repeats 3"; else C="--sizes 4096x4096x16 --batch 4096 --dtypes f16"; fi
timed goal-s27c 45 $R node $G/bench/monarch-goal.js --only monarch --no-fused $C --plan bench/plan-s27c.json --out $OUT/goal-s27c.json 2> $OUT/goal-s27c-log.txt
if [ -n "$DRY" ]; then cli_cases 100 256:256:16:f32:64:2; else cli_cases 100 4096:4096:16:f16:16384:20; fi
grep -h -E 'REJECT|ERROR|PLAN|exit|^step' $OUT/log.txt $OUT/goal-s27c-log.txt | head -20
grep -h -E 'nblocks|ms ' $OUT/goal-s27c-log.txt | cut -c1-200
grep -h -o '"ms": *[0-9.]*' $OUT/cli-wide/untuned-*.json $OUT/cli-wide/tuned-*.json 2>/dev/null | head -12
exit $status
