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

PATH = 'bench/results/nvidia-h200.json'
NAMES = {
    ('fly-bmm', 'f32'): 'fly-style monarch (two torch.bmm), PyTorch f32',
    ('fly-bmm', 'f16'): 'fly-style monarch (two torch.bmm), PyTorch f16',
    ('fly-bmm', 'bf16'): 'fly-style monarch (two torch.bmm), PyTorch bf16',
    ('torch.compile', 'f32'): 'torch.compile(mode="max-autotune-no-cudagraphs") of the fly-style monarch, PyTorch f32',
    ('torch.compile', 'bf16'): 'torch.compile(mode="max-autotune-no-cudagraphs") of the fly-style monarch, PyTorch bf16',
    ('torch-matmul', 'f32'): 'dense x @ W.T (PyTorch, same shape) f32, TF32 off',
    ('torch-matmul-tf32', 'f32-tf32'): 'dense x @ W.T (PyTorch, same shape) TF32',
    ('torch-matmul', 'f16'): 'dense x @ W.T (PyTorch, same shape) f16',
    ('torch-matmul', 'bf16'): 'dense x @ W.T (PyTorch, same shape) bf16',
}
# Which PyTorch runs a monc case of each dtype is compared with.
WANTED = {
    'f32': [('fly-bmm', 'f32'), ('torch.compile', 'f32'), ('torch-matmul', 'f32'), ('torch-matmul-tf32', 'f32-tf32')],
    'f16': [('fly-bmm', 'f16'), ('fly-bmm', 'bf16'), ('torch.compile', 'bf16'), ('torch-matmul', 'f16'), ('torch-matmul', 'bf16')],
}
CASE_FIELDS = ['op', 'kind', 'case', 'n', 'm', 'nblocks', 'batch', 'dtype', 'ms', 'gflops', 'gbps', 'monc_ms', 'kernels', 'rel_error', 'measured']

out = json.load(open(PATH))
torch_files = {}


def run_of(case, impl, dtype):
    """The PyTorch run of this shape in the device call the case's own baseline came from."""
    path = case['baseline_from']
    runs = torch_files.setdefault(path, json.load(open(path))['records'])
    dense = impl.startswith('torch-matmul')
    for b in runs:
        if b.get('impl') == impl and b['dtype'] == dtype and b['n'] == case['n'] and b['m'] == case['m'] and b['batch'] == case['batch'] and (dense or b.get('nblocks') == case['nblocks']):
            return b
    return None


records = []
for case in out['cases']:
    for impl, dtype in WANTED[case['dtype']]:
        run = run_of(case, impl, dtype)
        if run is None:
            continue
        if impl == 'torch-matmul-tf32' and case.get('dense_tf32_ms') is None:
            case['dense_tf32_ms'] = run['ms']
        rec = {k: case[k] for k in CASE_FIELDS if k in case}
        rec.update(baseline=NAMES[(impl, dtype)], baseline_ms=round(run['ms'], 4), speedup=round(run['ms'] / case['ms'], 3))
        records.append(rec)
out['records'] = records
out['records_note'] = ('one record per case and PyTorch baseline measured for it (fly bmm, torch.compile, dense), '
                       'as bench/results/nvidia-h100-80gb-hbm3.json records; `cases` holds each case once with all of its figures')
json.dump(out, open(PATH, 'w'), indent=1)
for r in records:
    print(f"{r['case'][:40]:<40} {r['dtype']} B{r['batch']:<6} {r['ms']:>8.4f}  {r['baseline'][:60]:<60} {r['baseline_ms']:>8.4f}  x{r['speedup']}")
