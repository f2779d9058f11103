#!/usr/bin/env bash
# Session 7, first device call: the sweep through the compiler again (untuned vs tuned) with the
# session-6 defaults (untuned f16 puts the strided factor on ks-sgmat-strided with call 3's best
# schedule), and PyTorch's baselines in the same call. Writes 4 files under $OUT.
set -u
R="bash .gpu/run.sh"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv > $OUT/log.txt
timeout 330 $R node .gdist/bench/sweep.js --only monarch,monarch-rect,monarch-16k --max-candidates 24 --budget-s 270 --deadline-s 310 --out $OUT/sweep.json 2> $OUT/sweep-log.txt
PYTHONUNBUFFERED=1 timeout 90 python3 bench/torch_baseline.py --compile-budget-s 50 > $OUT/torch.json 2> $OUT/torch-log.txt
grep -h -E 'REJECT|ERROR|error|=>' $OUT/*-log.txt | tail -60
rm -rf dist && cp -r .gdist dist
timeout 120 bash bench/results/s7/scripts/f16-train.sh > $OUT/f16-train-log.txt 2>&1; tail -40 $OUT/f16-train-log.txt
