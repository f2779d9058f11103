#!/usr/bin/env bash
# Session 31's confirm call, PERF2's part (issue 11's f32 targets: f32 results from the tensor cores by split halves).
# Run from the project root, OUT set, a build at or after the commit that rounds the split's hi part by integer
# operations (bench/split-f16.ts) carried as $GDIST (default .gdist). Call 1 (H100, bench/results/s31/call-1/perf2,
# perf2-a.sh at fba976b) rejected every three-product form with the one-product error (2.6e-4): the hi part
# unpack2x16float(pack2x16float(v)) was folded to v by the driver, so lo was zero. The same probe with the hi part
# rounded on the bits, fewer entries (call 1 timed the one-product floors; its one-chunk 128 x 32 tile was slowest):
# 1. n = 4096, K(64, 64, 64, 1), B = 16384: the f32 and f16 defaults; ks-sgmat's wide tile (4 x 2 of 64 x 32, chunks
#    of 16) unscaled, xh*wh only (call 1: 0.2760 against the f32 default's 0.2671) and scaled per row (pre-scan); the
#    one-chunk 64 x 64 tile (2 x 2 of 32 x 32) unscaled, scaled per row and per tile (call 1: per tile 0.25 off, the
#    only form whose error was not the lost lo's); the f32 default again.
# 2. n = 16384, K(128, 128, 128, 1), B = 4096: the f32 and f16 defaults; 2 x 4 of 64 x 32 in chunks of 32 unscaled and
#    xh*wh only (call 1: 0.2919 against 0.4339), in chunks of 16 unscaled and scaled per row, 4 x 2 in chunks of 16
#    unscaled and scaled per row; the f32 default again.
# Standalone it packs $OUT into $OUT/r.tgz; beside another packed call script:
#   mkdir -p $OUT/perf2 && OUT=$OUT/perf2 bash bench/results/s31/scripts/perf2-b.sh; mv $OUT/perf2/r.tgz $OUT/perf2.tgz
# About 20 s of device time (call 1's two steps of 13 and 9 entries: 10 + 8 s; timeouts 40 + 40 s).
# MONC_DRY=1: a rehearsal on SwiftShader (n = 256 and 1024; timeouts x4): f32 default entries only.
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
if [ -n "$DRY" ]; then A="--n 256 --batch 64 --repeats 3"; B="--n 1024 --batch 16 --repeats 3"; else
  A="--n 4096 --batch 16384"; B="--n 16384 --batch 4096"; fi
probe() { local name=$1 secs=$2; shift 2; timed $name $secs $R node $G/bench/split-f16-probe.js "$@" --out $OUT/$name.json 2> $OUT/$name-log.txt; }
probe split-b-4096 40 $A --deadline-s 30 --only '^split (4x2 of 64x32 tk 16 (unscaled|unscaled xh\*wh only|scaled per row)|2x2 of 32x32 tk 64 (unscaled|scaled per tile|scaled per row))$'
probe split-b-16384 40 $B --deadline-s 30 --only '^split (2x4 of 64x32 tk 32 unscaled( xh\*wh only)?|2x4 of 64x32 tk 16 (unscaled|scaled per row)|4x2 of 64x32 tk 16 (unscaled|scaled per row))$'
grep -h -E 'exit|uncaptured|Error|error' $OUT/log.txt | cut -c1-200 | head -10
for f in split-b-4096 split-b-16384; do echo "== $f"; cut -c1-300 $OUT/$f-log.txt; done
exit $status
