#!/usr/bin/env python3
"""PyTorch training-step baselines for bench/train-step.ts (issue 10): one step = forward +
input gradient + parameter gradients (y = f(x); y.backward(dy) with x.requires_grad), for the
fly-style Monarch (fly's blockdiag_butterfly_multiply, written without bmm's out= so that autograd
applies; checked against bench/torch_baseline.py's forward) at n = 4096,
nblocks = 64, B = 16384, and a dense nn.Linear(4096, 4096, bias=False): eager and
torch.compile(mode="max-autotune-no-cudagraphs"), f32 (TF32 off) and bf16. CUDA events,
warm-up, median of repeats. Prints one JSON object; `--compile-budget-s S` skips compiled cases
once S seconds of compiling have passed."""
import json, sys, time
import torch

sys.path.insert(0, __file__.rsplit('/', 1)[0])
from torch_baseline import blockdiag_butterfly_multiply, time_ms  # noqa: E402

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False

N, NBLOCKS, BATCH = 4096, 64, 16384


def monarch_autograd(x, w1, w2):
    # blockdiag_butterfly_multiply without out= buffers: two bmm and fly's permute/reshape copies.
    b = x.shape[0]
    k, q, p = w1.shape
    l, s, r = w2.shape
    out1 = torch.bmm(x.reshape(b, k, p).transpose(0, 1), w1.transpose(-1, -2))
    out1 = out1.transpose(0, 1).reshape(b, r, l).transpose(-1, -2).transpose(0, 1)
    out2 = torch.bmm(out1, w2.transpose(-1, -2))
    return out2.permute(1, 2, 0).reshape(b, s * l)


def arg(flag, default):
    return type(default)(sys.argv[sys.argv.index(flag) + 1]) if flag in sys.argv else default


def main():
    budget = arg('--compile-budget-s', 150.0)
    dev = 'cuda'
    results = {}
    compiling = 0.0
    for dtype_name, dtype in [('f32', torch.float32), ('bf16', torch.bfloat16)]:
        k = NBLOCKS
        p = N // k
        w1 = (torch.randn(k, p, p, device=dev, dtype=dtype) / p ** 0.5).requires_grad_()
        w2 = (torch.randn(k, p, p, device=dev, dtype=dtype) / p ** 0.5).requires_grad_()
        lin = torch.nn.Linear(N, N, bias=False, device=dev, dtype=dtype)
        x = torch.randn(BATCH, N, device=dev, dtype=dtype, requires_grad=True)
        dy = torch.randn(BATCH, N, device=dev, dtype=dtype) * 1e-3

        def monarch(x):
            return monarch_autograd(x, w1, w2)

        with torch.no_grad():
            ref = blockdiag_butterfly_multiply(x[:64].detach().float(), w1.detach().float(), w2.detach().float())
            err = ((monarch(x[:64]).float() - ref).norm() / ref.norm()).item()
        assert err < (1e-5 if dtype == torch.float32 else 2e-2), f'monarch_autograd differs from fly: {err}'

        cases = {'monarch': monarch, 'linear': lin}
        for name, fn in list(cases.items()):
            for mode in ['eager', 'compiled']:
                key = f'{name}/{dtype_name}/{mode}'
                if mode == 'compiled':
                    if compiling > budget:
                        results[key] = {'skipped': f'compile budget of {budget} s spent'}
                        continue
                    f = torch.compile(fn, mode='max-autotune-no-cudagraphs')
                else:
                    f = fn

                def step():
                    x.grad = None
                    for w in (w1, w2, lin.weight):
                        w.grad = None
                    f(x).backward(dy)

                t0 = time.perf_counter()
                if mode == 'compiled':
                    step()
                    torch.cuda.synchronize()
                    compiling += time.perf_counter() - t0
                ms, lo, hi = time_ms(step)
                results[key] = {'ms': ms, 'min_ms': lo, 'max_ms': hi}
                print(key, results[key], file=sys.stderr, flush=True)
    print(json.dumps({'device': torch.cuda.get_device_name(), 'torch': torch.__version__, 'n': N, 'nblocks': NBLOCKS, 'batch': BATCH,
                      'step': 'forward + input gradient + parameter gradients', 'results': results}, indent=2))


if __name__ == '__main__':
    main()
