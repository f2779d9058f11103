#!/usr/bin/env bash
# Session 4 (issue 11), fourth device call: the Monarch rows of the sweep again, untuned and tuned
# (monc tune's tuner, capped), with ks-dtiled's measured-best defaults as the tuner's seeds.
# Project root, .gpu and .gdist (the build of this commit) carried.
set -u
timeout 190 bash .gpu/run.sh node .gdist/bench/sweep.js --only monarch,monarch-rect,monarch-16k --max-candidates 6 --budget-s 150 --deadline-s 175 --out $OUT/sweep-4.json 2> $OUT/sweep-4-log.txt
grep "=>" $OUT/sweep-4-log.txt
