#!/usr/bin/env bash
# Session 28's last call, PERF2's part (issue 11, f32; about 150 s of device time, timeouts 200 s). Run from the project
# root, OUT set, the build carried as $GDIST (default .gdist):
# 1. bench/plan-s28h.json at B = 4096, n = 4096 with 64 blocks: the tuner's f32 seed of the strided factor (ks-dtiled wres,
#    sk 2, 4 β; residentTwin) at 1024 / 512 / 256 / 128 rows a workgroup beside the staged default: whether the seed's
#    batch rule (the most rows whose grid keeps 128 workgroups: 256 at B = 4096) picks the right one, and what an untuned
#    default of 1024 rows would cost there (32 workgroups).
# 2. The user's path at B = 16384, f32 n = 4096 with 64 blocks: `monc bench --no-tuning`, `monc tune --max-candidates 20
#    --forward-only` (its seeds now hold residentTwin), `monc bench --tuning` (cli_cases, packed.sh; outputs in cli-wide/).
# Standalone (packs $OUT into r.tgz); beside another packed script:
#   mkdir -p $OUT/perf2 && OUT=$OUT/perf2 bash bench/results/s28/scripts/perf2-c.sh; mv $OUT/perf2/r.tgz $OUT/perf2.tgz
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
if [ -n "$DRY" ]; then A="--sizes 256 --batch 64 --repeats 3"; CASE=512:512:8:f32:64:4; else
  A="--sizes 4096 --batch 4096 --dtypes f32"; CASE=4096:4096:64:f32:16384:20; fi
timed goal-s28h 40 $R node $G/bench/monarch-goal.js --only monarch --no-fused $A --plan bench/plan-s28h.json --out $OUT/goal-s28h.json 2> $OUT/goal-s28h-log.txt
cli_cases 100 $CASE
grep -h -E 'REJECT|ERROR|PLAN|exit|uncaptured' $OUT/log.txt $OUT/goal-s28h-log.txt | cut -c1-200 | head -20
echo "== goal-s28h (B = 4096)"; grep -h -E 'nblocks|ms |chain' $OUT/goal-s28h-log.txt | cut -c1-230
for f in $OUT/cli-wide/*.json; do echo "== $(basename $f)"; head -c 1500 $f; echo; done
exit $status
