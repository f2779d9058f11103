#!/usr/bin/env bash
# Session 26's second device call: PERF's 16-block plan (monarch-goal), PyTorch's same-call baselines, the compiler
# sweep (untuned vs tuned, with the tuner's probes and fused-run stop of ece91a8), then the 16-block case through the
# CLI (monc bench --no-tuning, monc tune, monc bench --tuning). Steps in this order so that a call cut short keeps the
# most needed outputs; all packed into $OUT/r.tgz. GOAL_SIZES / SWEEP_BUDGET_S / TUNE_CASES override the defaults.
. bench/results/s8/scripts/common.sh
pack() { trap - EXIT TERM; cd $OUT && tar czf /tmp/r.tgz --exclude r.tgz * && find . -maxdepth 1 -type f ! -name r.tgz -delete && mv /tmp/r.tgz r.tgz; }
trap 'pack; exit 143' TERM
trap pack EXIT
timed() { local t0=$(date +%s); step "$@"; echo "step $1: $(( $(date +%s) - t0 )) s" >> $OUT/log.txt; }
[ -e dist ] || ln -s .gdist dist
if [ -n "$DRY" ]; then GOAL="--sizes 256x256x4 --batch 64 --repeats 3"; SW="--only monarch --max-candidates 2"; else
  GOAL="--sizes ${GOAL_SIZES:-4096x4096x16,1024x4096x16,4096x1024x16} --batch 16384"; SW="--only monarch,monarch-rect,monarch-16k --max-candidates 24"; fi
timed goal-s26a 150 $R node .gdist/bench/monarch-goal.js --only monarch --no-fused $GOAL --plan bench/plan-s26a.json --out $OUT/goal-s26a.json 2> $OUT/goal-s26a-log.txt
[ -n "$DRY" ] || PYTHONUNBUFFERED=1 timed torch 110 python3 bench/torch_baseline.py --compile-budget-s 50 > $OUT/torch.json 2> $OUT/torch-log.txt
B=${SWEEP_BUDGET_S:-150}
timed sweep $((B + 80)) $R node .gdist/bench/sweep.js $SW --budget-s $B --deadline-s $((B + 50)) --out $OUT/sweep.json 2> $OUT/sweep-log.txt
D=$OUT/cli-wide; mkdir -p $D; export MONC_TUNING_DB=$D/db.json
for c in ${TUNE_CASES:-4096:4096:16:f16:16384:20}; do
  IFS=: read -r n m nb dt b mc <<< "$c"
  [ -n "$DRY" ] && { n=256; m=256; nb=16; b=64; mc=2; }
  spec=/tmp/wide-$n-$m-$nb-$dt.mon; name=$n-$m-$nb-$dt-b$b
  printf 'module wide\ndtype %s\nmap mon : %s -> %s = monarch(nblocks: %s)\n' $dt $n $m $nb > $spec
  timed untuned-$name 40 $R node bin/monc.js bench $spec --map mon --batch $b --no-tuning --json > $D/untuned-$name.json 2>> $D/log.txt
  timed tune-$name 100 $R node bin/monc.js tune $spec --map mon --batch $b --max-candidates $mc --forward-only --json > $D/tune-$name.json 2> $D/tune-$name-log.txt
  timed tuned-$name 40 $R node bin/monc.js bench $spec --map mon --batch $b --tuning --json > $D/tuned-$name.json 2>> $D/log.txt
done
grep -h -E '=>|REJECT|ERROR|FAILED|error|^step' $OUT/log.txt $OUT/sweep-log.txt $D/*log.txt | tail -40
tail -30 $OUT/goal-s26a-log.txt | cut -c1-220
exit $status
