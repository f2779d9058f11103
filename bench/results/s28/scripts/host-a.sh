#!/usr/bin/env bash
# Session 28's call A, HOST's part (issue 11's host targets: forward() of monarch(nblocks: 64) n = 4096 f32 at B = 512
# <= 1.5 ms, B = 1 <= 0.2 ms). Run from the project root, OUT set, the build carried as $GDIST (default .gdist).
# 1. B = 1 alone, first in its process as in session 27's calls, every mode three times over (--rounds 3: fresh#2 is
#    fresh's second round): call 3 (a slower H100 host) had the first five modes at 0.27-0.32 ms and the later ones at
#    0.13. Round 2 as fast as round 1's late modes: a warm-up of the process, not of a mode; syncMs (the call up to the
#    promise forward returns: its JS, x written, the submit) says whether the excess is in the call's own CPU work
#    (code not yet optimised, a slow CPU clock) or in the wait for the GPU; clocks-b1.csv (nvidia-smi every 50 ms through
#    the step) shows the GPU's SM clock and P-state meanwhile, beside host-b1-log.txt's mode lines.
# 2. B = 512 and 4096 with every call's copies timed where they run (--split-copies: copyInMs, x into the mapped
#    upload buffers; copyOutMs, the mapped result into the result array): does forward(x) (fresh) lose its time to
#    forward(x, { out }) in its copy out (the destination: an array a helper thread made, new to this thread) or
#    elsewhere (collections, the hand-over)? The phases add copyMappedToAheadMs (the copy alone into such an array)
#    beside copyMappedToOutMs. out:128 (4 chunks of 128 at 512 rows) against out (the default, 2 of 256): whether
#    more chunks hide more of the GPU's part at 512. The timeline 256x2 (a stream of 2 stagings of 256 rows, GPU
#    stamps per chunk) shows where 512 rows' time goes between the copies. Then PyTorch's pinned round trip.
# Standalone: it sources packed.sh, which packs all of $OUT into $OUT/r.tgz when it ends; beside another packed call
# script give it its own folder and rename its pack:
#   mkdir -p $OUT/host && OUT=$OUT/host bash bench/results/s28/scripts/host-a.sh; mv $OUT/host/r.tgz $OUT/host.tgz
# About 50 s of device time (timeouts: 150 s in all).
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
if [ -n "$DRY" ]; then S="--n 256 --nblocks 16 --repeats 3 --warmup 1"; B1="--batches 1"; BIG="--batches 64 --chunk-rows 16"; TL=16x2; else
  S="--repeats 30 --warmup 10"; B1="--batches 1"; BIG="--batches 512,4096 --chunk-rows 128,1024"; TL=256x2; fi
# The host's CPUs, NUMA nodes and transparent huge pages: what the copies and page faults run on (a helper thread's array
# first touched on another NUMA node than the caller's is remote memory to the caller's copy).
{ lscpu; echo "THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"; ldd --version 2>&1 | head -1; } > $OUT/host-cpu.txt 2>&1
# The GPU's clock and power state every 50 ms through the B = 1 step (a clock still low after the build's seconds of CPU
# work would slow the first modes' kernels: docs/performance.md, clock ramp).
clocks=
if [ -z "$DRY" ] && command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,pstate,utilization.gpu --format=csv -lms 50 > $OUT/clocks-b1.csv 2>&1 & clocks=$!
fi
timed host-b1 30 $R node $G/bench/host-path.js $S $B1 --builds untuned --rounds 3 --timeline none --out $OUT/host-b1.json 2> $OUT/host-b1-log.txt
[ -z "$clocks" ] || kill $clocks
timed host-path 80 $R node $G/bench/host-path.js $S $BIG --builds untuned --split-copies --modes fresh,out,staging,stagingRun,streamRun --timeline $TL --out $OUT/host-path.json 2> $OUT/host-log.txt
[ -n "$DRY" ] || PYTHONUNBUFFERED=1 timed torch-host 40 python3 bench/torch_baseline.py --host-only > $OUT/torch-host.json 2>> $OUT/host-log.txt
grep -h -E ': exit [0-9]|^[A-Za-z]*Error' $OUT/log.txt $OUT/host-b1-log.txt $OUT/host-log.txt | cut -c1-200 | head -10
grep -h -E '^untuned batch|^timeline' $OUT/host-b1-log.txt $OUT/host-log.txt | cut -c1-330
grep -E 'Model name|^CPU\(s\)|NUMA node|L3|THP' $OUT/host-cpu.txt
[ -e $OUT/clocks-b1.csv ] && awk -F', ' 'NR > 1 { print $2, $4 }' $OUT/clocks-b1.csv | uniq -c | head -20
grep -h -o -E '"(copyMappedTo(Out|Ahead|New)Ms|fillOnlyMs|copyJsToJsMs|newArrayTouchMs)": *[0-9.]+' $OUT/host-path.json | paste -sd' '
exit $status
