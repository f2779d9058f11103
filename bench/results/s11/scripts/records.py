#!/usr/bin/env python3
"""Adds `records` to bench/results/nvidia-h200.json: one record per case and baseline, the shape of
bench/results/nvidia-h100-80gb-hbm3.json's `records` (op, kind, n, m, nblocks, batch, dtype, ms,
gflops, gbps, baseline, baseline_ms, speedup = baseline_ms / ms). Each case of `cases` (monc's
tuned time) gets a record for PyTorch's fly-style bmm (f32, or f16 and bf16), for
torch.compile(mode="max-autotune-no-cudagraphs") of it (f32 or bf16) and for the dense
x @ W.T of the same shape (f32 and TF32, or f16 and bf16) wherever that baseline was measured in
the same device call (the case's `baseline_from`, that call's torch.json); `dense_tf32_ms` of the
cases is filled from the same runs. No figure is new: every one is already in the file.
Run from the project root: python3 bench/results/s11/scripts/records.py"""
import json
import sys

sys.path.insert(0, 'bench/results')
from torch_baselines import NAMES, WANTED, run_of  # noqa: E402

PATH = 'bench/results/nvidia-h200.json'
CASE_FIELDS = ['op', 'kind', 'case', 'n', 'm', 'nblocks', 'batch', 'dtype', 'ms', 'gflops', 'gbps', 'monc_ms', 'kernels', 'rel_error', 'measured']

out = json.load(open(PATH))
torch_files = {}


def same_call_runs(case):
    """PyTorch's runs of the device call the case's own baseline came from."""
    path = case['baseline_from']
    return torch_files.setdefault(path, json.load(open(path))['records'])


records = []
for case in out['cases']:
    for impl, dtype in WANTED[case['dtype']]:
        run = run_of(same_call_runs(case), case, impl, dtype)
        if run is None:
            continue
        if impl == 'torch-matmul-tf32' and case.get('dense_tf32_ms') is None:
            case['dense_tf32_ms'] = run['ms']
        rec = {k: case[k] for k in CASE_FIELDS if k in case}
        rec.update(baseline=NAMES[(impl, dtype)], baseline_ms=round(run['ms'], 4), speedup=round(run['ms'] / case['ms'], 3))
        records.append(rec)
out['records'] = records + [r for r in out.get('records', []) if 'source' in r]  # a device call's records (s12/scripts/call-records.py)
out['records_note'] = ('one record per case and PyTorch baseline measured for it (fly bmm, torch.compile, dense), '
                       'as bench/results/nvidia-h100-80gb-hbm3.json records; `cases` holds each case once with all of its figures')
json.dump(out, open(PATH, 'w'), indent=1)
for r in records:
    print(f"{r['case'][:40]:<40} {r['dtype']} B{r['batch']:<6} {r['ms']:>8.4f}  {r['baseline'][:60]:<60} {r['baseline_ms']:>8.4f}  x{r['speedup']}")
