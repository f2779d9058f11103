#!/usr/bin/env bash
# Session 31's call A, PERF2's part (issue 11's f32 targets: f32 results from the tensor cores by split halves). Run
# from the project root, OUT set, the build carried as $GDIST (default .gdist; it needs bench/split-f16.ts and
# bench/split-f16-probe.ts). bench/split-f16-probe.js times, in one list, a Monarch first factor: the f32 default
# (ks-tiled; H100 s29-s30: 0.2678 ms at n = 4096, 0.4318 at n = 16384), the f16 default (ks-sgmat, f16 in and out), then
# the split probes (f32 in and out, three f16 x f16 -> f32 products a step): ks-sgmat's wide tiles (4 x 2 subgroups of
# 64 x 32 in chunks of 16; where b >= 128 also 2 x 4 in chunks of 16 and 32) and, where they fit, the whole reduction in
# one chunk (64 x 64 on 2 x 2 subgroups of 32 x 32, 128 x 32 on 2 x 1 of 64 x 32), each unscaled, with the one
# product xh*wh (the split's time floor, not f32-accurate), and with a power-of-two scale per tile and per row (in
# chunks from a pre-scan of the workgroup's rows, in one chunk from its own loads); the f32 default again (drift).
# Every kernel is checked against float64 first (f32 within 1e-5).
# 1. n = 4096, K(64, 64, 64, 1), B = 16384: 15 entries.
# 2. n = 16384, K(128, 128, 128, 1), B = 4096 (the 1.0 ms target's first factor): 13 entries (no one-chunk tile fits;
#    2 x 4 in chunks of 32 fits 48 KiB only unscaled).
# Standalone: it sources packed.sh, which packs all of $OUT into $OUT/r.tgz when it ends; beside another packed call
# script give it its own folder and rename its pack:
#   mkdir -p $OUT/perf2 && OUT=$OUT/perf2 bash bench/results/s31/scripts/perf2-a.sh; mv $OUT/perf2/r.tgz $OUT/perf2.tgz
# About 30-45 s of device time (one buffer set per storage type and step; the probe starts no entry after 40 / 30 s;
# timeouts 55 + 45 s).
# MONC_DRY=1: a rehearsal on SwiftShader (n = 256, B = 64; timeouts x4): no shader-f16 there, so only the f32 default
# entries run.
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
if [ -n "$DRY" ]; then A="--n 256 --batch 64 --repeats 3"; B="--n 1024 --batch 16 --repeats 3"; else
  A="--n 4096 --batch 16384"; B="--n 16384 --batch 4096"; fi
probe() { local name=$1 secs=$2; shift 2; timed $name $secs $R node $G/bench/split-f16-probe.js "$@" --out $OUT/$name.json 2> $OUT/$name-log.txt; }
probe split-4096 55 $A --deadline-s 40
probe split-16384 45 $B --deadline-s 30
grep -h -E 'exit|uncaptured|Error|error' $OUT/log.txt | cut -c1-200 | head -10
for f in split-4096 split-16384; do echo "== $f"; cut -c1-300 $OUT/$f-log.txt; done
exit $status
