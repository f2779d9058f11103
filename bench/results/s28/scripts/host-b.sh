#!/usr/bin/env bash
# Session 28's confirm call, HOST's part (issue 11's host target forward() at B = 512 <= 1.5 ms). Run from the project
# root, OUT set, the build carried as $GDIST (default .gdist), main at or after c971d0f.
# Call A (s28 call 2, H100): forward(x) 3.51 ms at 512 rows against forward(x, { out }) 2.32; its copy of the mapped
# result into the array a helper thread made took 1.37 ms against 0.83 into `out` (phases alone: 1.51 against 0.99).
# fresh:filled: arrays every value of which the helper wrote (PrefaultPlan.touchStride 4) against fresh (one value a
# page, the default), at 512 rows twice over (--rounds 2: the order of modes), then once at 4096; phases
# copyMappedToFilledMs vs copyMappedToAheadMs vs copyMappedToOutMs, and trip*CpuMs (the CPU time of a round trip's
# unmap, recording, submit and mapping requests: forward(x, { out }) spent 0.45 ms beyond its copy of x before its
# first await at 512 rows). If fresh:filled's copy out and wall time come near out's in both rounds and at 4096 it is
# no slower than fresh, touchStride 4 becomes PREFAULT_PLAN's.
# Standalone: packs all of $OUT into $OUT/r.tgz (beside another packed script: its own folder, the pack renamed:
#   mkdir -p $OUT/host && OUT=$OUT/host bash bench/results/s28/scripts/host-b.sh; mv $OUT/host/r.tgz $OUT/host.tgz)
# About 35 s of device time (timeouts: 100 s in all).
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
# (The 512-row step's --chunk-rows is above its batch: no out:R modes beside the default's chunks.)
if [ -n "$DRY" ]; then S="--n 256 --nblocks 16 --repeats 2 --warmup 0"; B512="--batches 1024 --chunk-rows 4096"; B4K="--batches 2048"; else
  S="--repeats 30 --warmup 10"; B512="--batches 512 --chunk-rows 1024"; B4K="--batches 4096"; fi
timed host-512 40 $R node $G/bench/host-path.js $S $B512 --builds untuned --split-copies --rounds 2 --modes fresh,out --timeline none --out $OUT/host-512.json 2> $OUT/host-512-log.txt
timed host-4096 60 $R node $G/bench/host-path.js $S $B4K --chunk-rows 1024 --builds untuned --split-copies --modes fresh,out --timeline none --out $OUT/host-4096.json 2> $OUT/host-4096-log.txt
grep -h -E ': exit [0-9]|^[A-Za-z]*Error' $OUT/log.txt $OUT/host-512-log.txt $OUT/host-4096-log.txt | cut -c1-200 | head -10
grep -h -E '^untuned batch' $OUT/host-512-log.txt $OUT/host-4096-log.txt | cut -c1-330
for f in host-512 host-4096; do grep -h -o -E '"(copyMappedTo(Out|Ahead|Filled|New)Ms|fillOnlyMs|trip(Unmap|Record|Submit|Map)CpuMs|kernelsSubmitCpuMs)": *[0-9.]+' $OUT/$f.json | paste -sd' '; done
exit $status
