#!/usr/bin/env bash
# Session 12's and 13's device calls (issue 11): what runs is chosen by env, so one script serves both calls.
#   PLANS="bench/plan-s12a.json ..."  monarch-goal over these plans beside every family's default
#                                     (n=4096, 1024->4096, 4096->1024 at B=16384; n=16384 at B=4096);
#                                     PLANS=none: the defaults alone (an empty plan)
#   HOST=1      bench/host-path.ts at B = 1, 512, 4096 (HOST_FLAGS: extra flags) and PyTorch's pinned round trip
#   TORCH=1     bench/torch_baseline.py (fly bmm, dense, torch.compile): same-call ratios
#   SWEEP=1     bench/sweep.ts through the compiler (untuned vs tuned) for the Monarch cases (SWEEP_BUDGET_S: its tuning budget, 240)
#   LAYOUT=1    bench/layout-tile-probe.ts (session 13): the Monarch intermediate tiled vs as it is, f32 and f16
#   ROOFLINE=1  bench/roofline.ts's probe groups in ROOFLINE_ONLY (default runs: the strided factor's run lengths as pure copies)
#   CLI=1       the user's path through bin/monc.js (session 15): `monc bench --no-tuning` of each case in CLI_CASES
#               (N:M:NBLOCKS:DTYPE:BATCH), then `monc tune` and `monc bench --tuning` of the first; JSON under $OUT/cli/
# Every step's wall time goes to log.txt ("step NAME: N s"); all outputs are packed into $OUT/r.tgz
# (the device tool brings back only a few files).
. bench/results/s8/scripts/common.sh
if [ -n "$DRY" ]; then
  GOAL="--sizes 256,64x256x4 --batch 64 --repeats 3"; GOAL16="--sizes 256 --batch 64 --repeats 3"
  HOSTA="--n 256 --nblocks 16 --batches 1,64 --chunk-rows 16,32 --repeats 3 --warmup 1"
else
  GOAL="--sizes 4096,1024x4096x4,4096x1024x4 --batch 16384"; GOAL16="--sizes 16384 --batch 4096"
  HOSTA="--batches 1,512,4096 --chunk-rows 1024 --repeats 30 --warmup 10"
fi
# Pack what is there when the call ends, also when the device tool's limit stops it (SIGTERM): a call cut short
# by the session's remaining device time still brings back its finished steps.
pack() { trap - EXIT TERM; cd $OUT && tar czf /tmp/r.tgz --exclude r.tgz * && find . -maxdepth 1 -type f ! -name r.tgz -delete && mv /tmp/r.tgz r.tgz; }
trap 'pack; exit 143' TERM
trap pack EXIT
timed() { local t0=$(date +%s); step "$@"; echo "step $1: $(( $(date +%s) - t0 )) s" >> $OUT/log.txt; }
$R --probe >> $OUT/log.txt 2>&1 || echo "adapter probe failed" | tee -a $OUT/log.txt >&3
if [ -n "${PLANS:-}" ]; then
  if [ "$PLANS" = none ]; then echo '{}' > $OUT/plan.json; else plan_check $PLANS --merge $OUT/plan.json; fi
  timed monarch-goal 240 $R node .gdist/bench/monarch-goal.js --only monarch --no-fused $GOAL --plan $OUT/plan.json --out $OUT/goal.json 2> $OUT/goal-log.txt
  timed monarch-goal-16k 80 $R node .gdist/bench/monarch-goal.js --only monarch --no-fused $GOAL16 --plan $OUT/plan.json --out $OUT/goal-16k.json 2> $OUT/goal-16k-log.txt
fi
if [ -n "${LAYOUT:-}" ]; then
  if [ -n "$DRY" ]; then LAY="--sizes 256 --batch 64"; LAY16="--sizes 256 --batch 64"; else LAY=""; LAY16="--sizes 16384"; fi
  timed layout-f32 70 $R node .gdist/bench/layout-tile-probe.js $LAY --dtypes f32 --out $OUT/layout-f32.json 2> $OUT/layout-f32-log.txt
  timed layout-f16 70 $R node .gdist/bench/layout-tile-probe.js $LAY --dtypes f16 --tiles 8x8,8x16,16x16 --out $OUT/layout-f16.json 2> $OUT/layout-f16-log.txt
  timed layout-16k 70 $R node .gdist/bench/layout-tile-probe.js $LAY16 --dtypes f32 --tiles 8x8 --out $OUT/layout-16k.json 2> $OUT/layout-16k-log.txt
  timed layout-16k-f16 70 $R node .gdist/bench/layout-tile-probe.js $LAY16 --dtypes f16 --tiles 8x8,32x8 --out $OUT/layout-16k-f16.json 2> $OUT/layout-16k-f16-log.txt
fi
if [ -n "${ROOFLINE:-}" ]; then
  timed roofline 90 $R node .gdist/bench/roofline.js ${DRY:+--dry} --only ${ROOFLINE_ONLY:-runs} --out $OUT/roofline.json 2> $OUT/roofline-log.txt
fi
if [ -n "${HOST:-}" ]; then
  timed host-path 120 $R node .gdist/bench/host-path.js $HOSTA ${HOST_FLAGS:-} --out $OUT/host-path.json 2> $OUT/host-log.txt
  [ -n "$DRY" ] || PYTHONUNBUFFERED=1 timed torch-host 60 python3 bench/torch_baseline.py --host-only > $OUT/torch-host.json 2>> $OUT/host-log.txt
fi
if [ -n "${TORCH:-}" ]; then
  [ -n "$DRY" ] || PYTHONUNBUFFERED=1 timed torch 110 python3 bench/torch_baseline.py --compile-budget-s 50 > $OUT/torch.json 2> $OUT/torch-log.txt
fi
if [ -n "${CLI:-}" ]; then
  # bin/monc.js loads dist/: the carried build is .gdist.
  [ -e dist ] || ln -s .gdist dist
  mkdir -p $OUT/cli
  if [ -n "$DRY" ]; then CASES=${CLI_CASES:-256:256:16:f32:64}; else CASES=${CLI_CASES:-4096:4096:64:f16:16384 4096:1024:4:f16:16384 4096:4096:64:f32:16384}; fi
  export MONC_TUNING_DB=$OUT/cli/db.json
  first=1
  for c in $CASES; do
    IFS=: read -r n m nb dt b <<< "$c"
    spec=/tmp/cli-$n-$m-$dt.mon; name=$n-$m-$dt-b$b
    printf 'module cli\ndtype %s\nmap mon : %s -> %s = monarch(nblocks: %s)\n' $dt $n $m $nb > $spec
    timed cli-bench-$name 60 $R node bin/monc.js bench $spec --map mon --batch $b --no-tuning --json > $OUT/cli/untuned-$name.json 2>> $OUT/cli/log.txt
    if [ -n "$first" ]; then
      first=
      timed cli-tune-$name 120 $R node bin/monc.js tune $spec --map mon --batch $b --max-candidates 16 --forward-only --json > $OUT/cli/tune-$name.json 2> $OUT/cli/tune-$name-log.txt
      timed cli-tuned-$name 60 $R node bin/monc.js bench $spec --map mon --batch $b --tuning --json > $OUT/cli/tuned-$name.json 2>> $OUT/cli/log.txt
    fi
  done
fi
if [ -n "${SWEEP:-}" ]; then
  timed sweep 310 $R node .gdist/bench/sweep.js --only monarch,monarch-rect,monarch-16k --max-candidates 24 --budget-s ${SWEEP_BUDGET_S:-240} --deadline-s $(( ${SWEEP_BUDGET_S:-240} + 50 )) --out $OUT/sweep.json 2> $OUT/sweep-log.txt
fi
grep -h -E 'PLAN|two-kernel|batch [0-9]+ (fresh|out|staging|stagingRun)|=>|REJECT|ERROR|FAILED|error|^step' $OUT/*log.txt | tail -80
exit $status
