#!/usr/bin/env bash
# Session 28 call 1 (run from the project root, OUT set; build 9544606, pd 2 the c = 256 default since 070f456).
# On an H200: the record call (PyTorch, the sweep untuned vs tuned, the host path, the CLI) for bench/results/nvidia-h200.json.
# On any other card: only what session 27 left untimed, the 16-block CLI ratio with pd 2 (`monc bench --no-tuning`,
# `monc tune`, `monc bench --tuning` of n = 4096 with 16 blocks, f16, B = 16384; session 27 call 2 without pd 2: 1.21x).
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1); mkdir -p $OUT; echo "gpu: $gpu" > $OUT/gpu.txt
case "$gpu" in
  *H200*) TORCH=1 SWEEP=1 HOST=1 CLI=1 SWEEP_BUDGET_S=150 bash bench/results/s12/scripts/call.sh ;;
  *) ( . bench/results/s26/scripts/packed.sh
       cli_cases 100 4096:4096:16:f16:16384:20
       grep -h -o '"ms": *[0-9.]*' $OUT/cli-wide/untuned-*.json $OUT/cli-wide/tuned-*.json 2>/dev/null | head -12
       exit $status ) ;;
esac
