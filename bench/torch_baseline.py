#!/usr/bin/env python3
"""PyTorch baselines on the same GPU for bench/sweep.ts (`--baseline`) and bench/monarch-goal.ts:
dense x @ W.T and the fly-style Monarch (blockdiag_butterfly_multiply: two torch.bmm with
permute/reshape copies, rectangular shapes included), in f32 (TF32 off), f16 and bf16. Butterfly,
Monarch of order 3, low-rank and pixelfly have no standard PyTorch kernel: the sweep compares them
with the dense product of the same shape. CUDA events, warm-up, median of repeats. Prints one JSON
object.

Also (issue 11): torch.compile(mode="max-autotune-no-cudagraphs") of the fly-style Monarch
(f32, bf16) for COMPILE_CASES, dense with TF32 on (f32 inputs), and the host round trip of the
fly-style Monarch n = 4096 f32 by batch (pinned host memory, non-blocking copies; wall clock per
call including the synchronisation). Each fly and torch.compile record also has `pipelined_ms`: per call of 10 queued
back to back, without the host's launch gaps. `--compile-budget-s S` skips compiled cases once S seconds of
compiling have passed (max-autotune benchmarks many Triton configurations). `--host-only`: only
the host round trip."""
import json, os, statistics, sys, datetime, time
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


def time_ms(fn, warmup=5, repeats=30, warmup_s=0.2):
    # At least `warmup` calls and `warmup_s` of back-to-back work: the GPU's clocks drop when idle.
    start = time.perf_counter()
    done = 0
    while done < warmup or time.perf_counter() - start < warmup_s:
        fn()
        done += 1
        if done % warmup == 0:
            torch.cuda.synchronize()
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


def pipelined_ms(fn, calls=10, repeats=10):
    # Median per-call time of `calls` back-to-back calls between two events: the GPU's time per call
    # without the host's launch gaps (monc's figures are the GPU's own timestamps). time_ms's one call
    # per sample pays a compiled function's Python and guard overhead whenever it outlasts the kernels,
    # which session 21 saw as torch.compile samples spread over 2x within one call.
    samples = []
    for _ in range(repeats):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        for _ in range(calls):
            fn()
        b.record()
        torch.cuda.synchronize()
        samples.append(a.elapsed_time(b) / calls)
    return statistics.median(samples)


# (n, m, nblocks, batch): the sweep's Monarch shapes, and n = 16384 for monarch-goal's comparison.
MONARCH_CASES = [(1024, 1024, 32, 16384), (4096, 4096, 64, 16384), (4096, 4096, 64, 4096), (1024, 4096, 4, 16384), (4096, 1024, 4, 16384),
                 (16384, 16384, 128, 4096)]
# torch.compile'd fly-style Monarch: these shapes, f32 and bf16.
COMPILE_CASES = [(4096, 4096, 64, 16384), (1024, 4096, 4, 16384), (4096, 1024, 4, 16384), (16384, 16384, 128, 4096)]
# Host round trip (pinned memory) of the fly-style Monarch n = 4096, f32, by batch.
HOST_BATCHES = [1, 512, 4096]
# (n, m, batch): every sweep shape (each structure's dense comparison) and dense 4096^3.
DENSE_CASES = [(1024, 1024, 16384), (4096, 4096, 16384), (4096, 4096, 4096), (1024, 4096, 16384)]


def monarch_weights(n, m, k, dev, dtype):
    # fly's MonarchLinear shapes: p = n/k, s = m/k, q = r = p if n <= m else s.
    p, s_ = n // k, m // k
    q = p if n <= m else s_
    w1 = torch.randn(k, q, p, device=dev, dtype=dtype) / p ** 0.5
    w2 = torch.randn(k, s_, q, device=dev, dtype=dtype) / q ** 0.5
    return w1, w2, k * q * p + k * s_ * q


def compiled_records(dev, budget_s):
    records = []
    fn = torch.compile(blockdiag_butterfly_multiply, mode='max-autotune-no-cudagraphs', dynamic=False)
    spent = 0.0
    for dtype, name in [(torch.float32, 'f32'), (torch.bfloat16, 'bf16')]:
        for n, m, k, batch in COMPILE_CASES:
            if spent > budget_s:
                records.append(dict(op='monarch', impl='torch.compile', n=n, m=m, nblocks=k, batch=batch, dtype=name, skipped=f'compile budget {budget_s} s spent'))
                continue
            x = torch.randn(batch, n, device=dev, dtype=dtype)
            w1, w2, macs = monarch_weights(n, m, k, dev, dtype)
            start = time.perf_counter()
            fn(x, w1, w2)
            torch.cuda.synchronize()
            compile_s = time.perf_counter() - start
            spent += compile_s
            ms, lo, hi = time_ms(lambda: fn(x, w1, w2))
            piped = pipelined_ms(lambda: fn(x, w1, w2))
            ref = blockdiag_butterfly_multiply(x.float(), w1.float(), w2.float())
            err = ((fn(x, w1, w2).float() - ref).abs().max() / ref.abs().max()).item()
            records.append(dict(op='monarch', impl='torch.compile', mode='max-autotune-no-cudagraphs', n=n, m=m, nblocks=k, batch=batch, dtype=name,
                                ms=ms, min_ms=lo, max_ms=hi, pipelined_ms=piped, gflops=batch * 2 * macs / ms / 1e6, compile_s=compile_s, rel_error=err))
            print(json.dumps(records[-1]), file=sys.stderr)
            del x, w1, w2
    return records


def host_records(dev, repeats=30, warmup=10):
    # x (pinned host) -> GPU, the fly-style Monarch, -> y (pinned host), synchronised: per call.
    records = []
    n, k = 4096, 64
    w1, w2, _ = monarch_weights(n, n, k, dev, torch.float32)
    for batch in HOST_BATCHES:
        x_host = torch.randn(batch, n).pin_memory()
        y_host = torch.empty(batch, n).pin_memory()

        def call():
            y = blockdiag_butterfly_multiply(x_host.to(dev, non_blocking=True), w1, w2)
            y_host.copy_(y, non_blocking=True)
            torch.cuda.synchronize()
        for _ in range(warmup):
            call()
        samples = []
        for _ in range(repeats):
            t = time.perf_counter()
            call()
            samples.append((time.perf_counter() - t) * 1000)
        samples.sort()
        records.append(dict(op='monarch', impl='fly-bmm host round trip (pinned)', n=n, m=n, nblocks=k, batch=batch, dtype='f32',
                            ms=statistics.median(samples), min_ms=samples[0], max_ms=samples[-1]))
    return records


def main():
    dev = torch.device('cuda')
    budget_s = float(sys.argv[sys.argv.index('--compile-budget-s') + 1]) if '--compile-budget-s' in sys.argv else 240.0
    records = []
    if '--host-only' in sys.argv:
        # Only the pinned-host round trip: for a device call that measures monc's host path beside it.
        records = host_records(dev)
        print(json.dumps(dict(torch=torch.__version__, device=torch.cuda.get_device_name(0), tf32=False,
                              date=datetime.datetime.now(datetime.timezone.utc).isoformat(), records=records), indent=1))
        return
    for dtype, name in [(torch.float32, 'f32'), (torch.float16, 'f16'), (torch.bfloat16, 'bf16')]:
        for n, m, k, batch in MONARCH_CASES:
            # fly's MonarchLinear shapes: p = n/k, s = m/k, q = r = p if n <= m else s.
            p, s_ = n // k, m // k
            q = p if n <= m else s_
            x = torch.randn(batch, n, device=dev, dtype=dtype)
            w1 = torch.randn(k, q, p, device=dev, dtype=dtype) / p ** 0.5
            w2 = torch.randn(k, s_, q, device=dev, dtype=dtype) / q ** 0.5
            ms, lo, hi = time_ms(lambda: blockdiag_butterfly_multiply(x, w1, w2))
            piped = pipelined_ms(lambda: blockdiag_butterfly_multiply(x, w1, w2))
            records.append(dict(op='monarch', impl='fly-bmm', n=n, m=m, nblocks=k, batch=batch, dtype=name, ms=ms, min_ms=lo, max_ms=hi, pipelined_ms=piped,
                                gflops=batch * 2 * (k * q * p + k * s_ * q) / ms / 1e6))
            del x, w1, w2
        for n, m, batch in DENSE_CASES:
            x = torch.randn(batch, n, device=dev, dtype=dtype)
            w = torch.randn(m, n, device=dev, dtype=dtype) / n ** 0.5
            ms, lo, hi = time_ms(lambda: x @ w.T)
            records.append(dict(op='dense', impl='torch-matmul', n=n, m=m, batch=batch, dtype=name, ms=ms, min_ms=lo, max_ms=hi,
                                gflops=batch * 2 * n * m / ms / 1e6))
            if dtype == torch.float32:
                torch.backends.cuda.matmul.allow_tf32 = True
                ms, lo, hi = time_ms(lambda: x @ w.T)
                torch.backends.cuda.matmul.allow_tf32 = False
                records.append(dict(op='dense', impl='torch-matmul-tf32', n=n, m=m, batch=batch, dtype='f32-tf32', ms=ms, min_ms=lo, max_ms=hi,
                                    gflops=batch * 2 * n * m / ms / 1e6))
            del x, w
    records += host_records(dev)
    records += compiled_records(dev, budget_s)
    print(json.dumps(dict(torch=torch.__version__, device=torch.cuda.get_device_name(0), tf32=False,
                          date=datetime.datetime.now(datetime.timezone.utc).isoformat(), records=records), indent=1))


if __name__ == '__main__':
    main()
