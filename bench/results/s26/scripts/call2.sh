#!/usr/bin/env bash
# Session 26's second device call: PERF's 16-block plan (monarch-goal), PyTorch's same-call baselines, the compiler
# sweep (untuned vs tuned, with the tuner's probes and fused-run stop of ece91a8), then the 16-block case through the
# CLI (monc bench --no-tuning, monc tune, monc bench --tuning). Steps in this order so that a call cut short keeps the
# most needed outputs; all packed into $OUT/r.tgz. GOAL_SIZES / SWEEP_BUDGET_S / TUNE_CASES override the defaults.
. bench/results/s26/scripts/packed.sh
if [ -n "$DRY" ]; then GOAL="--sizes 256x256x4 --batch 64 --repeats 3"; SW="--only monarch --max-candidates 2"; else
  GOAL="--sizes ${GOAL_SIZES:-4096x4096x16,1024x4096x16,4096x1024x16} --batch 16384"; SW="--only monarch,monarch-rect,monarch-16k --max-candidates 24"; fi
timed goal-s26a 150 $R node .gdist/bench/monarch-goal.js --only monarch --no-fused $GOAL --plan bench/plan-s26a.json --out $OUT/goal-s26a.json 2> $OUT/goal-s26a-log.txt
[ -n "$DRY" ] || PYTHONUNBUFFERED=1 timed torch 110 python3 bench/torch_baseline.py --compile-budget-s 50 > $OUT/torch.json 2> $OUT/torch-log.txt
B=${SWEEP_BUDGET_S:-150}
timed sweep $((B + 80)) $R node .gdist/bench/sweep.js $SW --budget-s $B --deadline-s $((B + 50)) --out $OUT/sweep.json 2> $OUT/sweep-log.txt
if [ -n "$DRY" ]; then cli_cases 100 256:256:16:f16:64:2; else cli_cases 100 ${TUNE_CASES:-4096:4096:16:f16:16384:20}; fi
grep -h -E '=>|REJECT|ERROR|FAILED|error|^step' $OUT/log.txt $OUT/sweep-log.txt $OUT/cli-wide/*log.txt | tail -40
tail -30 $OUT/goal-s26a-log.txt | cut -c1-220
exit $status
