#!/usr/bin/env bash
# Session 27's plans (issue 11), PERF's part of a device call: bench/plan-s27a.json at B = 16384 (Monarch n = 4096 with 16
# blocks, then with 64: f16 factors beside every tensor-core family's default) and bench/plan-s27b.json at B = 4096 (the
# 16-block strided forms with 256 and 512 rows per workgroup at a small batch). f16 only (--dtypes f16: these plans hold
# tensor-core forms; the f32 families' defaults at these shapes are session 26's figures). Standalone: it sources
# packed.sh, which packs all of $OUT into $OUT/r.tgz when it ends; inside another call script that sources packed.sh,
# run its two `timed` lines instead. GDIST (default .gdist) is the carried build. About 100 s of device time.
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
if [ -n "$DRY" ]; then A="--sizes 256x256x4 --batch 64 --repeats 3"; B="--sizes 256x256x4 --batch 37 --repeats 3"; else
  A="--sizes 4096x4096x16,4096 --batch 16384 --dtypes f16"; B="--sizes 4096x4096x16 --batch 4096 --dtypes f16"; fi
timed goal-s27a 100 $R node $G/bench/monarch-goal.js --only monarch --no-fused $A --plan bench/plan-s27a.json --out $OUT/goal-s27a.json 2> $OUT/goal-s27a-log.txt
timed goal-s27b 45 $R node $G/bench/monarch-goal.js --only monarch --no-fused $B --plan bench/plan-s27b.json --out $OUT/goal-s27b.json 2> $OUT/goal-s27b-log.txt
grep -h -E 'REJECT|ERROR|PLAN|exit' $OUT/log.txt $OUT/goal-s27a-log.txt $OUT/goal-s27b-log.txt | head -20
grep -h -E 'nblocks|ms ' $OUT/goal-s27a-log.txt $OUT/goal-s27b-log.txt | cut -c1-200
exit $status
