#!/usr/bin/env bash
# Session 7, second device call (right after call 1, whose f16 training check found no `node` on PATH).
set -u
rm -rf dist && cp -r .gdist dist
timeout 200 bash bench/results/s7/scripts/f16-train.sh > $OUT/f16-train-log.txt 2>&1; tail -60 $OUT/f16-train-log.txt
