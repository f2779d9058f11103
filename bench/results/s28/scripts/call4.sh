#!/usr/bin/env bash
# Session 28 call 4 (run from the project root, OUT set): PERF's last candidates (perf-c.sh: the untuned 4096 -> 1024 f16
# first factor on 16-subgroup f32-sum tiles, the strided default with ow) and PERF2's (P2: its own command line, set by the
# caller), each in its own folder with its pack renamed (the record's pack skips every r.tgz); then the record call:
# PyTorch (same-call ratios for PERF2's CLI figures), and on an H200 also the sweep (untuned vs tuned) of the build
# (the device time left after three refused requests allows no more).
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1); mkdir -p $OUT; echo "gpu: $gpu" > $OUT/gpu.txt
mkdir -p $OUT/perf && ( OUT=$OUT/perf bash bench/results/s28/scripts/perf-c.sh > $OUT/perf-stdout.txt 2>&1; mv $OUT/perf/r.tgz $OUT/perf.tgz; rmdir $OUT/perf; true )
if [ -n "${P2:-}" ]; then mkdir -p $OUT/perf2 && ( export OUT=$OUT/perf2; eval "$P2" > $OUT/../perf2-stdout.txt 2>&1; mv $OUT/r.tgz $OUT/../perf2.tgz; rmdir $OUT; true ); fi
case "$gpu" in
  *H200*) TORCH=1 SWEEP=1 SWEEP_BUDGET_S=80 bash bench/results/s12/scripts/call.sh ;;
  *) TORCH=1 bash bench/results/s12/scripts/call.sh ;;
esac
