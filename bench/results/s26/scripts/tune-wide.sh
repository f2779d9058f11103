#!/usr/bin/env bash
# Session 26: does a wider search find faster schedules than the sweep's budget does? For each case of
# TUNE_CASES (N:M:NBLOCKS:DTYPE:BATCH:MAXCANDIDATES): `monc bench --no-tuning`, `monc tune --max-candidates
# MAXCANDIDATES`, `monc bench --tuning`, as a user runs them (bin/monc.js on the carried build .gdist).
# Outputs under $OUT/cli-wide/ (packed into $OUT/r.tgz); every step's wall time in log.txt.
. bench/results/s8/scripts/common.sh
pack() { trap - EXIT TERM; cd $OUT && tar czf /tmp/r.tgz --exclude r.tgz * && find . -maxdepth 1 -type f ! -name r.tgz -delete && mv /tmp/r.tgz r.tgz; }
trap 'pack; exit 143' TERM
trap pack EXIT
timed() { local t0=$(date +%s); step "$@"; echo "step $1: $(( $(date +%s) - t0 )) s" >> $OUT/log.txt; }
[ -e dist ] || ln -s .gdist dist
D=$OUT/cli-wide; mkdir -p $D
export MONC_TUNING_DB=$D/db.json
for c in ${TUNE_CASES:?N:M:NBLOCKS:DTYPE:BATCH:MAXCANDIDATES ...}; do
  IFS=: read -r n m nb dt b mc <<< "$c"
  spec=/tmp/wide-$n-$m-$nb-$dt.mon; name=$n-$m-$nb-$dt-b$b
  printf 'module wide\ndtype %s\nmap mon : %s -> %s = monarch(nblocks: %s)\n' $dt $n $m $nb > $spec
  timed untuned-$name 60 $R node bin/monc.js bench $spec --map mon --batch $b --no-tuning --json > $D/untuned-$name.json 2>> $D/log.txt
  timed tune-$name ${TUNE_STEP_S:-200} $R node bin/monc.js tune $spec --map mon --batch $b --max-candidates $mc --forward-only --json > $D/tune-$name.json 2> $D/tune-$name-log.txt
  timed tuned-$name 60 $R node bin/monc.js bench $spec --map mon --batch $b --tuning --json > $D/tuned-$name.json 2>> $D/log.txt
done
grep -h -E '=>|REJECT|ERROR|FAILED|error|^step' $OUT/log.txt $D/*log.txt | tail -60
for f in $D/untuned-*.json $D/tuned-*.json; do echo "$f: $(head -c 600 $f | tr -d '\n' | cut -c1-300)"; done
exit $status
