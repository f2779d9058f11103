#!/usr/bin/env bash
# H200 session (issue 11), second device call: host round trip with its phases, the sweep's
# n = 16384 and explicit-Monarch cases, and the user's path (monc tune, then monc bench) on
# monarch(nblocks: 64) n = 4096 in f32 and f16 at B = 16384. Run from the project root with
# .gpu and dist carried; writes under $OUT/s3.
set -u
R="bash .gpu/run.sh"
mkdir -p $OUT/s3/cli
$R node dist/bench/host-path.js --out $OUT/s3/host-path-2.json 2> $OUT/s3/host-path-2-log.txt
$R node dist/bench/sweep.js --only monarch-16k,monarch-raw --max-candidates 12 --budget-s 120 --deadline-s 150 --out $OUT/s3/sweep-b.json 2> $OUT/s3/sweep-b-log.txt
export MONC_TUNING_DB=$OUT/s3/cli/db.json
for dtype in f32 f16; do
  printf 'module h200\ndtype %s\nmap mon : 4096 -> 4096 = monarch(nblocks: 64)\n' $dtype > /tmp/mon-$dtype.mon
  s=$(date +%s)
  $R node bin/monc.js bench /tmp/mon-$dtype.mon --map mon --batch 16384 --no-tuning --json > $OUT/s3/cli/untuned-$dtype.json 2>> $OUT/s3/cli/log.txt
  $R node bin/monc.js tune /tmp/mon-$dtype.mon --map mon --batch 16384 --max-candidates 16 --json > $OUT/s3/cli/tune-$dtype.json 2> $OUT/s3/cli/tune-$dtype-log.txt
  $R node bin/monc.js bench /tmp/mon-$dtype.mon --map mon --batch 16384 --tuning --json > $OUT/s3/cli/tuned-$dtype.json 2>> $OUT/s3/cli/log.txt
  echo "$dtype: $(( $(date +%s) - s )) s" >> $OUT/s3/cli/log.txt
done
