#!/usr/bin/env bash
# Session 29's call A, HOST's part (issue 11's host targets, monarch(nblocks: 64) n = 4096 f32, untuned build:
# forward() at B = 512 <= 1.5 ms, B = 4096 no slower than PyTorch's pinned round trip, B = 1 <= 0.2 ms).
# Run from the project root, OUT set, the build carried as $GDIST (default .gdist).
# 1. host-512 (B = 1 first in its process, then 512; every mode twice over, --rounds 2: mode#2 is the second round):
#    - fresh / out / staging / stagingRun: forward(x), forward(x, { out }), a staging with x copied in, run() alone
#      (s28, two H100 hosts: out 2.319 / 1.669, copies in + out 1.67 / 1.29; PyTorch pinned 0.383).
#    - out:128, out:256 (= out's default 2 chunks of 256): the runtime's pipelined forward in 4 or 2 chunks.
#    - lean:map:R (R = 128, 256, 512): the same round trip made by hand (bench/host-lean.ts), none of the runtime's JS,
#      x through mapped upload buffers as the runtime sends it; lean:map:512 is one piece, one submit. Against out:R:
#      what the runtime's own JS costs per chunk. Each line ends with the per-chunk CPU: send (x written + unmap),
#      record, submit, mapAsync calls, wait (for the mapping), copy out.
#    - lean:wb:R (R = 128, 256: chunks of 2 and 4 MiB, within Dawn's 4 MiB staging ring): x sent by
#      queue.writeBuffer, no mapping of an upload buffer. Beating lean:map:R says forward should send x that way
#      (s27/s28's writeBufferMs, 5-8 ms, wrote 8 MiB at once: over the ring, a staging buffer made per call).
#    - faults N on every line: the process's minor page faults per call (a mapped range faulted in afresh every call
#      would be ~2048 per 8 MiB; near 0 for out: the copies run at memory bandwidth, not on page faults).
#    - timelines 256:pipe and 128:pipe: forward(x, { out })'s structure (every chunk written and submitted, then each
#      read) with the GPU's stamps per chunk: where 512 rows' time goes between the copies.
# 2. host-4096: why a stream of stagings (streamRun, s28: 3.26 ms) loses to PyTorch pinned (2.81):
#    - streamRun:R / streamRun:RxD for R = 512, 1024, 2048 and depths 2, 3, 4: chunk size and pipeline depth.
#    - timelines 1024x2:run, 1024x3:run (the stream's round trips without host copies, as streamRun; GPU stamps:
#      does chunk i's copy out overlap chunk i+1's copy in, where are the gaps) and 1024:pipe.
#    - out and lean:map:1024 / lean:wb:256 for reference (forward(x, { out }) and its lean twin).
# 3. PyTorch's pinned round trip (torch_baseline.py --host-only), same call.
# Standalone: it sources packed.sh, which packs all of $OUT into $OUT/r.tgz when it ends; beside another packed call
# script give it its own folder and rename its pack:
#   mkdir -p $OUT/host && OUT=$OUT/host bash bench/results/s29/scripts/host-a.sh; mv $OUT/host/r.tgz $OUT/host.tgz
# About 50 s of device time (step timeouts: 40 + 70 + 40 s).
. bench/results/s26/scripts/packed.sh
G=${GDIST:-.gdist}
if [ -n "$DRY" ]; then S="--n 256 --nblocks 16 --repeats 3 --warmup 1"; B512="--batches 1,64 --chunk-rows 16,32,64"; TL512=32:pipe,16:pipe
  B4K="--batches 128 --chunk-rows 16,32,64"; TL4K=32x2:run,32x3:run,32:pipe; else
  S="--repeats 30 --warmup 10"; B512="--batches 1,512 --chunk-rows 128,256,512"; TL512=256:pipe,128:pipe
  B4K="--batches 4096 --chunk-rows 256,512,1024,2048"; TL4K=1024x2:run,1024x3:run,1024:pipe; fi
{ lscpu; echo "THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"; ldd --version 2>&1 | head -1; } > $OUT/host-cpu.txt 2>&1
timed host-512 40 $R node $G/bench/host-path.js $S $B512 --builds untuned --split-copies --rounds 2 --modes fresh,out,staging,stagingRun,lean --timeline $TL512 --out $OUT/host-512.json 2> $OUT/host-512-log.txt
timed host-4096 70 $R node $G/bench/host-path.js $S $B4K --stream-depth 2,3,4 --builds untuned --split-copies --modes out,streamRun,lean:map:1024,lean:wb:256,lean:map:32,lean:wb:16 --timeline $TL4K --out $OUT/host-4096.json 2> $OUT/host-4096-log.txt
[ -n "$DRY" ] || PYTHONUNBUFFERED=1 timed torch-host 40 python3 bench/torch_baseline.py --host-only > $OUT/torch-host.json 2>> $OUT/host-4096-log.txt
grep -h -E ': exit [0-9]|^[A-Za-z]*Error' $OUT/log.txt $OUT/host-512-log.txt $OUT/host-4096-log.txt | cut -c1-200 | head -10
grep -h -E '^untuned batch|^timeline' $OUT/host-512-log.txt $OUT/host-4096-log.txt | cut -c1-420
grep -E 'Model name|^CPU\(s\)|NUMA node|L3|THP' $OUT/host-cpu.txt
for f in host-512 host-4096; do grep -h -o -E '"(copyMappedTo(Out|Ahead)Ms|fillOnlyMs|copyJsToJsMs|writeBufferMs|trip(Unmap|Record|Submit|Map)CpuMs|tripSpanMs)": *[0-9.]+' $OUT/$f.json | paste -sd' '; done
[ -n "$DRY" ] || python3 -c 'import json, sys; [print("torch pinned B =", r["batch"], round(r["ms"], 3)) for r in json.load(open(sys.argv[1]))["records"]]' $OUT/torch-host.json
exit $status
