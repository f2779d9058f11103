# Sourced by callA.sh and callB.sh (run from the project root): what both device calls share.
# MONC_DRY=1: a rehearsal on SwiftShader (this machine): the calls shrink their shapes and skip
# PyTorch; timeouts stretch x4 (they bound GPU time, not a rehearsal's on a shared CPU).
set -u
: "${OUT:?set OUT to the output folder}"
R="bash .gpu/run.sh"
DRY=${MONC_DRY:-}
if [ -n "$DRY" ]; then TO=4; else TO=1; fi
status=0
exec 3>&1   # the call's own output, for failure lines of steps whose stdout goes to a file
# The build is the carried build's stamp (GDIST as the call scripts take it, else .gdist) (dist/BUILD, written by npm run build: git describe of the tree it was built
# from), not this checkout's git, which on the device is often another commit (sessions 30-31 logged that one).
build_stamp() { local g=${GDIST:-.gdist}; if [ -f $g/BUILD ]; then echo "build of $(cat $g/BUILD) (the carried $g)"; else echo "build: $g has no BUILD stamp (built before it, or not carried)"; fi; }
{ nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv 2>/dev/null || echo "no nvidia-smi (dry run)"; build_stamp; } > $OUT/log.txt

# step NAME SECONDS CMD...: CMD under a timeout of SECONDS (x4 in a rehearsal); a failure (124:
# timed out) is a line in log.txt and the call's output, and makes the call's exit status 1.
step() {
  local name=$1 secs=$2
  shift 2
  timeout $((secs * TO)) "$@" || { echo "$name: exit $?" | tee -a $OUT/log.txt >&3; status=1; }
}

# plan_check PLAN... [--merge FILE]: bench/plan-check.js, its lines in log.txt; a plan entry this
# build would not time fails the call's exit status (monarch-goal skips it; the call goes on).
plan_check() {
  if ! $R node .gdist/bench/plan-check.js "$@" 2>> $OUT/log.txt; then
    echo "PLAN CHECK FAILED: see log.txt (PLAN INVALID lines); monarch-goal skips those entries" | tee -a $OUT/log.txt >&3
    status=1
  fi
}
