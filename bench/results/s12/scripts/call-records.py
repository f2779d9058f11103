#!/usr/bin/env python3
"""Adds device calls of sessions 10-17 to a results file's `records` (the H100 calls of sessions 10-12, 16 and 17 to
bench/results/nvidia-h100-80gb-hbm3.json, session 12's and 14's H200 calls to bench/results/nvidia-h200.json) (the fields of issue 4: op, n, m, nblocks, batch, dtype, ms, gflops, baseline,
baseline_ms, speedup = baseline_ms / ms): per Monarch case of each call's monarch-goal run, monc's
best checked two-kernel chain against each PyTorch baseline of the same call's torch.json (fly bmm
f32 or f16/bf16, torch.compile f32/bf16, dense f32/TF32 or f16/bf16 where measured). Records of
these calls written before are replaced, so the script can run again. Run from the project root:
python3 bench/results/s12/scripts/call-records.py"""
import json
import sys

sys.path.insert(0, 'bench/results')
from torch_baselines import NAMES, WANTED, run_of  # noqa: E402

CALLS = {  # results file: [(monarch-goal outputs, the same call's PyTorch run)]
    'bench/results/nvidia-h100-80gb-hbm3.json': [
        (['bench/results/s10/call-1/goal.json', 'bench/results/s10/call-1/goal-16k.json'], 'bench/results/s10/call-1/torch.json'),
        (['bench/results/s11/call-2/goal.json', 'bench/results/s11/call-2/goal-16k.json'], 'bench/results/s11/call-2/torch.json'),
        (['bench/results/s12/call-2/goal.json', 'bench/results/s12/call-2/goal-16k.json'], 'bench/results/s12/call-2/torch.json'),
        (['bench/results/s16/call-1/goal.json', 'bench/results/s16/call-1/goal-16k.json'], 'bench/results/s16/call-1/torch.json'),
        (['bench/results/s16/call-2/goal.json', 'bench/results/s16/call-2/goal-16k.json'], 'bench/results/s16/call-2/torch.json'),
        # call 3 ran no PyTorch (an H100 again): call 2's, the same session on the same kind of machine
        (['bench/results/s16/call-3/goal.json', 'bench/results/s16/call-3/goal-16k.json'], 'bench/results/s16/call-2/torch.json'),
        # session 17: calls 2 and 4 ran plans without PyTorch; calls 1's and 3's, the same session on the same H100
        (['bench/results/s17/call-2/goal.json', 'bench/results/s17/call-2/goal-16k.json'], 'bench/results/s17/call-1/torch.json'),
        (['bench/results/s17/call-4/goal.json', 'bench/results/s17/call-4/goal-16k.json'], 'bench/results/s17/call-3/torch.json'),
    ],
    'bench/results/nvidia-h200.json': [
        (['bench/results/s12/call-3/goal.json', 'bench/results/s12/call-3/goal-16k.json'], 'bench/results/s12/call-3/torch.json'),
        (['bench/results/s14/call-1/goal.json', 'bench/results/s14/call-1/goal-16k.json'], 'bench/results/s14/call-1/torch.json'),
    ],
}

for PATH, CALLS_OF_FILE in CALLS.items():
    out = json.load(open(PATH))
    sources = {goal for goals, _ in CALLS_OF_FILE for goal in goals}
    records = [r for r in out['records'] if r.get('source') not in sources]
    added = []
    for goals, torch_path in CALLS_OF_FILE:
        torch = json.load(open(torch_path))['records']
        for goal_path in goals:
            goal = json.load(open(goal_path))
            for case in goal['records']:
                ms = case['chain']['ms']
                for impl, dtype in WANTED[case['dtype']]:
                    run = run_of(torch, case, impl, dtype)
                    if run is None:
                        continue
                    added.append(dict(
                        source=goal_path, date=goal['date'], torch=torch_path, op=f"monarch(nblocks: {case['nblocks']})", kind='monarch',
                        n=case['n'], m=case['m'], nblocks=case['nblocks'], batch=case['batch'], dtype=case['dtype'], ms=round(ms, 4),
                        gflops=round(case['flops'] / ms / 1e6, 1), gbps=round(case['bytes'] / ms / 1e6, 1),
                        kernels=[dict(schedule=b['schedule'], ms=round(b['ms'], 4), rel_error=b['relErr']) for b in case['best']],
                        checked='each kernel against the float64 reference before timing (monarch-goal)', variant='best checked two-kernel chain of the call',
                        baseline=NAMES[(impl, dtype)], baseline_ms=round(run['ms'], 4), speedup=round(run['ms'] / ms, 3)))
    out['records'] = records + added
    json.dump(out, open(PATH, 'w'), indent=1)
    for r in added:
        print(f"{r['source'][14:25]} {r['n']}->{r['m']} nb{r['nblocks']} B{r['batch']} {r['dtype']} {r['ms']:.4f}  {r['baseline'][:50]:<50} {r['baseline_ms']:.4f} x{r['speedup']}")
