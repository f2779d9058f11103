#!/usr/bin/env bash
# Session 27 call 3 (run from the project root, OUT set): on an H200 PyTorch and the sweep (the record call without the host
# path or the CLI: the device time left did not allow them); on any other card PERF's plan-s27d (the
# c = 256 default at other shapes) and the host path alone (the build's chunking changes e3cac58/f7e1fa9/59b4c0c)
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1); mkdir -p $OUT; echo "gpu: $gpu" > $OUT/gpu.txt
case "$gpu" in
  *H200*) TORCH=1 SWEEP=1 SWEEP_BUDGET_S=80 bash bench/results/s12/scripts/call.sh ;;
  *) mkdir -p $OUT/perf && ( OUT=$OUT/perf bash bench/results/s27/scripts/call3.sh > $OUT/perf-stdout.txt 2>&1; mv $OUT/perf/r.tgz $OUT/perf.tgz; true )
     HOST=1 HOST_FLAGS="--builds untuned" bash bench/results/s12/scripts/call.sh ;;
esac
