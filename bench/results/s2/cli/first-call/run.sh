#!/usr/bin/env bash
# GPU session 1: untuned defaults vs the new tuner search, through the CLI.
set -u
M="node out/gpu1/bin/monc.js"
S=out/gpu1/specs/struct.mon
export MONC_TUNING_DB=$OUT/db.json
for m in mon4k mon1k bfly2 order3 lr64 dense1k; do
  $M bench $S --map $m --batch 16384 --no-tuning --json > $OUT/untuned-$m.json 2>> $OUT/log.txt
done
start=$(date +%s)
$M tune $S --map mon4k --batch 16384 --max-candidates 24 --json > $OUT/tune-mon4k.json 2> $OUT/tune-mon4k-log.txt
echo "tune mon4k: $(( $(date +%s) - start )) s" >> $OUT/log.txt
$M bench $S --map mon4k --batch 16384 --tuning --json > $OUT/tuned-mon4k.json 2>> $OUT/log.txt
start=$(date +%s)
$M tune $S --map mon1k --batch 16384 --max-candidates 16 --json > $OUT/tune-mon1k.json 2> $OUT/tune-mon1k-log.txt
echo "tune mon1k: $(( $(date +%s) - start )) s" >> $OUT/log.txt
$M bench $S --map mon1k --batch 16384 --tuning --json > $OUT/tuned-mon1k.json 2>> $OUT/log.txt
python3 bench/torch_baseline.py --help > $OUT/torch-help.txt 2>&1
