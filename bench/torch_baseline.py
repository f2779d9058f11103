#!/usr/bin/env python3
"""PyTorch baselines on the same GPU, same shapes as bench/kernels.ts: dense x @ W.T and the
fly-style Monarch (blockdiag_butterfly_multiply: two torch.bmm with permute/reshape copies),
f32 (TF32 off) and bf16. CUDA events, warm-up, median of repeats. Prints one JSON object."""
import json, statistics, sys, datetime
import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def blockdiag_butterfly_multiply(x, w1_bfly, w2_bfly):
    # fly (HazyResearch) blockdiag_butterfly_multiply, forward.
    batch_shape, n = x.shape[:-1], x.shape[-1]
    batch_dim = x.numel() // n
    k, q, p = w1_bfly.shape
    l, s, r = w2_bfly.shape
    assert k * p == n and l * r == k * q
    x_reshaped = x.reshape(batch_dim, k, p).transpose(0, 1)
    out1 = torch.empty(batch_dim, k, q, device=x.device, dtype=x.dtype).transpose(0, 1)
    out1 = torch.bmm(x_reshaped, w1_bfly.transpose(-1, -2), out=out1)
    out1 = out1.transpose(0, 1).reshape(batch_dim, r, l).transpose(-1, -2).contiguous().transpose(0, 1)
    out2 = torch.empty(batch_dim, l, s, device=x.device, dtype=x.dtype).transpose(0, 1)
    out2 = torch.bmm(out1, w2_bfly.transpose(-1, -2), out=out2)
    return out2.permute(1, 2, 0).reshape(*batch_shape, s * l)


def time_ms(fn, warmup=5, repeats=30):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    samples = []
    for _ in range(repeats):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        samples.append(a.elapsed_time(b))
    samples.sort()
    return statistics.median(samples), samples[0], samples[-1]


def main():
    dev = torch.device('cuda')
    records = []
    cases = [(1024, 32, 16384), (4096, 64, 16384), (16384, 128, 4096)]
    dense_cases = [(1024, 16384), (4096, 4096), (4096, 16384)]
    for dtype, name in [(torch.float32, 'f32'), (torch.bfloat16, 'bf16')]:
        for n, k, batch in cases:
            p = n // k
            x = torch.randn(batch, n, device=dev, dtype=dtype)
            w1 = torch.randn(k, p, p, device=dev, dtype=dtype) / p ** 0.5
            w2 = torch.randn(k, p, p, device=dev, dtype=dtype) / p ** 0.5
            ms, lo, hi = time_ms(lambda: blockdiag_butterfly_multiply(x, w1, w2))
            records.append(dict(op='monarch', impl='fly-bmm', n=n, m=n, nblocks=k, batch=batch, dtype=name, ms=ms, min_ms=lo, max_ms=hi,
                                gflops=batch * 4 * n * p / ms / 1e6))
            x = torch.randn(batch, n, device=dev, dtype=dtype)
            w = torch.randn(n, n, device=dev, dtype=dtype) / n ** 0.5
            ms, lo, hi = time_ms(lambda: x @ w.T)
            records.append(dict(op='dense', impl='torch-matmul', n=n, m=n, batch=batch, dtype=name, ms=ms, min_ms=lo, max_ms=hi,
                                gflops=batch * 2 * n * n / ms / 1e6))
            del x, w, w1, w2
        for n, batch in dense_cases:
            if any(r['op'] == 'dense' and r['n'] == n and r['batch'] == batch and r['dtype'] == name for r in records):
                continue
            x = torch.randn(batch, n, device=dev, dtype=dtype)
            w = torch.randn(n, n, device=dev, dtype=dtype) / n ** 0.5
            ms, lo, hi = time_ms(lambda: x @ w.T)
            records.append(dict(op='dense', impl='torch-matmul', n=n, m=n, batch=batch, dtype=name, ms=ms, min_ms=lo, max_ms=hi,
                                gflops=batch * 2 * n * n / ms / 1e6))
            del x, w
    print(json.dumps(dict(torch=torch.__version__, device=torch.cuda.get_device_name(0), tf32=False,
                          date=datetime.datetime.now(datetime.timezone.utc).isoformat(), records=records), indent=1))


if __name__ == '__main__':
    main()
