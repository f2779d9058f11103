# Sourced by session 26's device calls (run from the project root): s8's common.sh (step, $R, log.txt), every output
# under $OUT packed into $OUT/r.tgz when the call ends, also when the device tool's limit stops it (the tool brings back
# only a few files), each step's wall time in log.txt ("step NAME: N s"), and cli_cases, the user's path through the CLI.
. bench/results/s8/scripts/common.sh
pack() { trap - EXIT TERM; cd $OUT && tar czf /tmp/r.tgz --exclude r.tgz * && find . -maxdepth 1 -type f ! -name r.tgz -delete && mv /tmp/r.tgz r.tgz; }
trap 'pack; exit 143' TERM
trap pack EXIT
timed() { local t0=$(date +%s); step "$@"; echo "step $1: $(( $(date +%s) - t0 )) s" >> $OUT/log.txt; }
# bin/monc.js loads dist/: the carried build is .gdist.
[ -e dist ] || ln -s .gdist dist

# cli_cases TUNE_S CASE...: for each CASE (N:M:NBLOCKS:DTYPE:BATCH:MAXCANDIDATES) `monc bench --no-tuning`, `monc tune
# --max-candidates MAXCANDIDATES --forward-only` (at most TUNE_S seconds) and `monc bench --tuning`, as a user runs them;
# outputs under $OUT/cli-wide/, the tuning database there too.
cli_cases() {
  local tune_s=$1 c n m nb dt b mc spec name
  shift
  local D=$OUT/cli-wide
  mkdir -p $D
  export MONC_TUNING_DB=$D/db.json
  for c in "$@"; do
    IFS=: read -r n m nb dt b mc <<< "$c"
    spec=/tmp/wide-$n-$m-$nb-$dt.mon; name=$n-$m-$nb-$dt-b$b
    printf 'module wide\ndtype %s\nmap mon : %s -> %s = monarch(nblocks: %s)\n' $dt $n $m $nb > $spec
    timed untuned-$name 60 $R node bin/monc.js bench $spec --map mon --batch $b --no-tuning --json > $D/untuned-$name.json 2>> $D/log.txt
    timed tune-$name $tune_s $R node bin/monc.js tune $spec --map mon --batch $b --max-candidates $mc --forward-only --json > $D/tune-$name.json 2> $D/tune-$name-log.txt
    timed tuned-$name 60 $R node bin/monc.js bench $spec --map mon --batch $b --tuning --json > $D/tuned-$name.json 2>> $D/log.txt
  done
}
