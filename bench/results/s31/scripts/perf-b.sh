#!/usr/bin/env bash
# Session 31's confirm call, PERF's part (issue 11 gaps 3 and 1). Call 1 (bench/results/s31/call-1/perf, H100) timed the
# square 256 x 256 workgroup tile on 16 subgroups of 64 x 64 with f16 sums at 0.1377 ms against 0.1485 for the 8-subgroup
# square seed (4096 -> 1024's first factor, B = 16384); since 89867ad it is a candidate and squareTwin's seed.
# 1. goal-s31b (B = 16384, f16, bench/plan-s31b.json beside every family's default): 4096 -> 1024's first factor, the new
#    seed again beside the old one, f16SumTwin's 4 x 2 of 64 x 64, the default's f16 twin and the 16-subgroup 64 x 32 f16
#    trials; the d = 4 seed (chain); 1024 -> 4096's first factor K(4, 256, 256, 1): the new candidate beside the f16 twin.
#    n = 4096 (64 blocks, gap 2): its first factor K(64, 64, 64, 1) on 8 x 2 subgroups of the default's 64 x 32 (512 rows x
#    64 β, bench-only), f16 and f32 sums, beside the default and its f16-sum seed.
# 2. goal-s31b4k (B = 4096): the same plan at 4096 -> 1024 (where call 1 had the 64 x 32 f16 trials at 0.0500 against
#    the default's f16 twin 0.0577; f16SumTwin, the seed there, untimed in call 1).
# 3. With CLI=1: the user's path, 4096:1024:4:f16 at B = 16384: `monc bench --no-tuning`, `monc tune --max-candidates 24
#    --forward-only` (90 s at most), `monc bench --tuning`: does the tuner take the new seed, and the chains' ratio.
# Run from the project root, OUT set, the build carried as $GDIST (default .gdist); beside another packed call script:
#   mkdir -p $OUT/perf && OUT=$OUT/perf bash bench/results/s31/scripts/perf-b.sh; mv $OUT/perf/r.tgz $OUT/perf.tgz
# About 55 s of device time (timeouts: 60 + 35), with CLI=1 about 100-130 s more (timeouts 60 + 90 + 60).
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
if [ -n "$DRY" ]; then A="--sizes 64x256x4 --batch 64 --repeats 3"; B="--sizes 64x256x4 --batch 37 --repeats 3"; C=64:256:4:f32:64:2; else
  A="--sizes 4096x1024x4,1024x4096x4,4096 --batch 16384 --dtypes f16"; B="--sizes 4096x1024x4 --batch 4096 --dtypes f16"; C=4096:1024:4:f16:16384:24; fi
plan_check bench/plan-s31b.json
timed goal-s31b 60 $R node $G/bench/monarch-goal.js --only monarch --no-fused $A --plan bench/plan-s31b.json --out $OUT/goal-s31b.json 2> $OUT/goal-s31b-log.txt
timed goal-s31b4k 35 $R node $G/bench/monarch-goal.js --only monarch --no-fused $B --plan bench/plan-s31b.json --out $OUT/goal-s31b4k.json 2> $OUT/goal-s31b4k-log.txt
if [ -n "${CLI:-}" ]; then cli_cases 90 $C; fi
grep -h -E 'REJECT|ERROR|PLAN|exit|uncaptured|^step' $OUT/log.txt $OUT/goal-s31b*-log.txt | head -20
for f in goal-s31b goal-s31b4k; do echo "== $f"; grep -h -E 'nblocks|ms |chain' $OUT/$f-log.txt | cut -c1-250; done
if [ -n "${CLI:-}" ]; then echo "== cli"; python3 -c 'import json, sys, os
for f in sys.argv[1:]:
  r = json.load(open(f)); print(os.path.basename(f), round(r["ms"], 4), "ms err", r.get("relativeError"))
  for k in r["kernels"]: print("  ", round(k["ms"], 4), json.dumps(k["schedule"], separators=(",", ":"))[:230])' $OUT/cli-wide/untuned-*.json $OUT/cli-wide/tuned-*.json; fi
exit $status
