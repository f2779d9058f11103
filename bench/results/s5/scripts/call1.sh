#!/usr/bin/env bash
# Session 5 plan (issue 11), first device call on the H200: the tensor-core families built in
# session 5 (ks-sgmat-strided rebuilt, ks-pair-sgmat, the untuned tensor-core kernel set), each
# candidate checked against the float64 reference before timing, beside PyTorch in the same call.
# Run from the project root carrying .gpu and the build as .gdist; writes under $OUT.
set -u
R="bash .gpu/run.sh"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv > $OUT/log.txt
# 1. Does Tint accept the S > 1 kernels (the uniformity diagnostic filter) and do they pass? Then time.
#    Strided factor alone (ks-sgmat-strided plan vs ks-dtiled) and the fused pair (variant fused-sgmat).
timeout 170 $R node .gdist/bench/monarch-goal.js --only monarch --sizes 4096,1024x4096x4,4096x1024x4 --plan bench/plan-sgmat-strided.json --out $OUT/goal-sgmat.json 2> $OUT/goal-sgmat-log.txt
timeout 80 $R node .gdist/bench/monarch-goal.js --only monarch --sizes 16384 --batch 4096 --plan bench/plan-sgmat-strided.json --out $OUT/goal-16k.json 2> $OUT/goal-16k-log.txt
# 2. The sweep through the compiler: untuned (kernel set picked: 'tensor-core' for f16) vs tuned (24 candidates).
timeout 230 $R node .gdist/bench/sweep.js --only monarch,monarch-rect,monarch-16k --max-candidates 24 --budget-s 180 --deadline-s 215 --out $OUT/sweep.json 2> $OUT/sweep-log.txt
# 3. PyTorch in the same call: fly bmm, torch.compile (f32, bf16), dense (TF32 too).
PYTHONUNBUFFERED=1 timeout 60 python3 bench/torch_baseline.py --compile-budget-s 40 > $OUT/torch.json 2> $OUT/torch-log.txt
grep -h -E 'REJECT|ERROR|error|=>' $OUT/*-log.txt | tail -60
