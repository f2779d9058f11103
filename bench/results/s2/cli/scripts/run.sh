#!/usr/bin/env bash
# GPU session 3: the user's path (monc tune, then monc bench) on the headline shapes.
set -u
M="node bin/monc.js"
export MONC_TUNING_DB=$OUT/w/db.json
mkdir -p $OUT/w
t() { local spec=$1 map=$2 cap=$3; local s=$(date +%s)
  $M bench out/gpu3/$spec.mon --map $map --batch 16384 --no-tuning --json > $OUT/w/untuned-$spec-$map.json 2>> $OUT/w/log.txt
  $M tune out/gpu3/$spec.mon --map $map --batch 16384 --max-candidates $cap --json > $OUT/w/tune-$spec-$map.json 2> $OUT/w/tune-$spec-$map-log.txt
  $M bench out/gpu3/$spec.mon --map $map --batch 16384 --tuning --json > $OUT/w/tuned-$spec-$map.json 2>> $OUT/w/log.txt
  echo "$spec $map cap $cap: $(( $(date +%s) - s )) s" >> $OUT/w/log.txt; }
t f32 mon4k 48
t f16 mon4k 32
t f32 bfly2 12
t f16 dense4k 12
tar -C $OUT -czf $OUT/gpu3.tgz w && rm -rf $OUT/w
