#!/usr/bin/env bash
# GPU session 5: re-check the tuned and untuned kernels after the index-text cleanup (f16 sgmat included).
set -u
for spec in f16:mon4k f16:dense4k f32:mon4k f32:bfly2; do
  f=${spec%%:*}; m=${spec##*:}
  for t in "--tuning out/gpu4/db.json" "--no-tuning"; do
    node bin/monc.js bench out/gpu4/$f.mon --map $m --batch 16384 $t --json > $OUT/r.json 2>> $OUT/log.txt
    python3 -c "import json; d=json.load(open('$OUT/r.json')); print('$f $m ${t%% *}', round(d['ms'],4), d['relativeError'], [(k['schedule']['family'], round(k['ms'],4)) for k in d['kernels']])" >> $OUT/summary.txt
  done
done
cat $OUT/summary.txt
