"""The PyTorch baselines a monc case is compared with in the results files' `records`, written once
for bench/results/s11/scripts/records.py (H200 file) and s12/scripts/call-records.py (device calls, both files)."""

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
# Which PyTorch runs (bench/torch_baseline.py's `impl`, `dtype`) a monc case of each dtype is compared with.
WANTED = {
    'f32': [('fly-bmm', 'f32'), ('torch.compile', 'f32'), ('torch-matmul', 'f32'), ('torch-matmul-tf32', 'f32-tf32')],
    'f16': [('fly-bmm', 'f16'), ('fly-bmm', 'bf16'), ('torch.compile', 'bf16'), ('torch-matmul', 'f16'), ('torch-matmul', 'bf16')],
}


def run_of(runs, case, impl, dtype):
    """The run of torch_baseline.py's `records` for this case's shape (dense runs have no nblocks)."""
    dense = impl.startswith('torch-matmul')
    return next((b for b in runs if b.get('impl') == impl and b['dtype'] == dtype and b['n'] == case['n'] and b['m'] == case['m']
                 and b['batch'] == case['batch'] and (dense or b.get('nblocks') == case['nblocks'])), None)
