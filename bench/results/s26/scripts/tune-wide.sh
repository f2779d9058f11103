#!/usr/bin/env bash
# Session 26: does a wider search find faster schedules than the sweep's budget does? For each case of
# TUNE_CASES (N:M:NBLOCKS:DTYPE:BATCH:MAXCANDIDATES): `monc bench --no-tuning`, `monc tune --max-candidates
# MAXCANDIDATES`, `monc bench --tuning`, as a user runs them (bin/monc.js on the carried build .gdist).
# Outputs under $OUT/cli-wide/ (packed into $OUT/r.tgz); every step's wall time in log.txt.
. bench/results/s26/scripts/packed.sh
cli_cases ${TUNE_STEP_S:-200} ${TUNE_CASES:?N:M:NBLOCKS:DTYPE:BATCH:MAXCANDIDATES ...}
grep -h -E '=>|REJECT|ERROR|FAILED|error|^step' $OUT/log.txt $OUT/cli-wide/*log.txt | tail -60
exit $status
