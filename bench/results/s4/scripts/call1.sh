#!/usr/bin/env bash
# Session 4 (issue 11), one device call on the H200: the host path in four modes beside PyTorch's
# pinned round trip, the tuned sweep of the Monarch rows (ks-dtiled now among the candidates),
# ks-dtiled against ks-dvec on Monarch n = 4096's strided factor, and the host path again.
# Run from the project root with .gpu and the build carried as .gdist; writes under $OUT.
set -u
R="bash .gpu/run.sh"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv > $OUT/log.txt
$R node .gdist/bench/host-path.js --batches 1,512,4096 --repeats 30 --warmup 10 --out $OUT/host-path.json 2>> $OUT/log.txt
PYTHONUNBUFFERED=1 timeout 60 python3 bench/torch_baseline.py --host-only > $OUT/torch-host.json 2>> $OUT/log.txt
timeout 250 $R node .gdist/bench/sweep.js --only monarch,monarch-rect,monarch-16k --max-candidates 10 --budget-s 180 --deadline-s 220 --out $OUT/sweep.json 2>> $OUT/log.txt
timeout 110 $R node .gdist/bench/monarch-goal.js --only monarch --sizes 4096 --samples 4 --out $OUT/goal.json 2>> $OUT/log.txt
$R node .gdist/bench/host-path.js --batches 512,4096 --repeats 30 --warmup 10 --out $OUT/host-path-2.json 2>> $OUT/log.txt
python3 - <<PY
import json
for f in ['host-path.json', 'host-path-2.json']:
    try:
        d = json.load(open('$OUT/' + f))
        for r in d['records']: print(f, r['batch'], {k: round(v['medianMs'], 3) for k, v in r['modeMs'].items()})
    except Exception as e: print(f, e)
try:
    for r in json.load(open('$OUT/torch-host.json'))['records']: print('torch', r['batch'], round(r['ms'], 3))
except Exception as e: print('torch', e)
try:
    for r in json.load(open('$OUT/sweep.json'))['records']:
        print('sweep', r.get('case'), r.get('dtype'), r.get('batch'), json.dumps(r.get('monc_ms')), [k.get('schedule', {}).get('family') if isinstance(k, dict) else k for k in r.get('kernels', [])][:4])
except Exception as e: print('sweep', e)
PY
