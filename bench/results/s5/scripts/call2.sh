#!/usr/bin/env bash
# Session 5 plan (issue 11), second device call: the host round trip (one piece, pipelined chunks
# through forward's chunkRows, rings of stagings) beside PyTorch's pinned round trip, and whether
# the 64 MiB getMappedRange cost is V8's external-memory collection (readback probe, GC counts).
set -u
R="bash .gpu/run.sh"
$R node .gdist/bench/host-path.js --batches 1,512,4096 --repeats 30 --warmup 10 --out $OUT/host-path.json 2> $OUT/host-log.txt
$R node .gdist/bench/readback-probe.js --mib 8,64 --chunk-mib 8 --heap-mib 40 --out $OUT/readback-probe.json 2>> $OUT/host-log.txt
PYTHONUNBUFFERED=1 timeout 60 python3 bench/torch_baseline.py --host-only > $OUT/torch-host.json 2>> $OUT/host-log.txt
$R node .gdist/bench/host-path.js --batches 512,4096 --repeats 30 --warmup 10 --out $OUT/host-path-2.json 2>> $OUT/host-log.txt
tail -30 $OUT/host-log.txt
