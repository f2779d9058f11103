"""Shared by the sessions' summarize.py scripts: folds one device call's sweep (bench/sweep.ts) and
PyTorch's records measured in the same session into the cases of bench/results/nvidia-h200.json."""


def torch_ms(records, impl, n, m, batch, dtype):
    for r in records:
        if r.get('impl', r.get('baseline')) == impl and r['n'] == n and r['m'] == m and r['batch'] == batch and r['dtype'] == dtype:
            return r['ms']
    return None


def record_fields(r):
    """The fields every device file's case record carries (the H100 file's and issue 4's list): the
    structure, its shape, the tuned time and its rates, from one sweep record."""
    ms = r['ms']
    return dict(op=r['op'], n=r['n'], m=r['m'], nblocks=r.get('nblocks'), ms=round(ms, 4),
                gflops=round(r['flops'] / ms / 1e6, 1), gbps=round(r['bytes'] / ms / 1e6, 1))


def apply_sweep(out, sweep, sweep_path, compiled, fresh, fresh_path):
    """compiled: torch.compile records of the sweep's call; fresh: fly/dense records (or None: the
    earlier ones stay, marked by `baseline_from`)."""
    if fresh:
        out['baselines'] = [dict(baseline=r.get('impl'), **{k: v for k, v in r.items() if k != 'impl'}) for r in fresh]
    by_key = {(c['case'], c['dtype'], c['batch']): c for c in out['cases']}
    for r in sweep['records']:
        c = by_key.get((f"{r['op']} {r['n']}->{r['m']}", r['dtype'], r['batch']))
        if c is None or 'ms' not in r:
            continue
        tuned, untuned = r['ms'], r['untuned']['ms']
        c.update(record_fields(r))
        c.update(monc_ms=dict(tuned=round(tuned, 4), untuned=round(untuned, 4)), untuned_over_tuned=round(untuned / tuned, 2),
                 kernel_set=dict(tuned=r['kernelSet'], untuned=r['untuned']['kernelSet']),
                 kernels=[dict(family=s['schedule']['family'], ms=round(s['ms'], 4)) for s in r['schedules']],
                 untuned_kernels=[dict(family=s['schedule']['family'], ms=round(s['ms'], 4)) for s in r['untuned']['schedules']],
                 rel_error=r['relError'], measured=f'{sweep_path} ({sweep["date"]})')
        compile_dtype = 'f32' if r['dtype'] == 'f32' else 'bf16'
        tc = torch_ms(compiled, 'torch.compile', r['n'], r['m'], r['batch'], compile_dtype)
        key = 'torch_compile_f32_ms' if r['dtype'] == 'f32' else 'torch_compile_bf16_ms'
        c[key] = tc
        c['speedup_vs_torch_compile'] = round(tc / tuned, 2) if tc else None
        if fresh:
            fly = torch_ms(fresh, 'fly-bmm', r['n'], r['m'], r['batch'], r['dtype'])
            if fly:
                c['baseline_ms'] = fly
            if r['dtype'] == 'f16':
                c['fly_bf16_ms'] = torch_ms(fresh, 'fly-bmm', r['n'], r['m'], r['batch'], 'bf16')
            else:
                c['dense_f32_ms'] = torch_ms(fresh, 'torch-matmul', r['n'], r['m'], r['batch'], 'f32')
                c['dense_tf32_ms'] = torch_ms(fresh, 'torch-matmul-tf32', r['n'], r['m'], r['batch'], 'f32')
            c['baseline_from'] = fresh_path
        else:
            c['baseline_from'] = 'earlier call (bench/results/s3, s4): call1 of session 6 lost its torch.json'
        if c.get('baseline_ms'):
            c['speedup'] = round(c['baseline_ms'] / tuned, 2)


def print_cases(out):
    for c in out['cases']:
        print(c['case'][:40], c['dtype'], c['batch'], c['monc_ms'], c.get('kernel_set'), c.get('speedup'), c.get('speedup_vs_torch_compile'), [k['family'] for k in c['kernels']])


def backfill_fields(out, fallback_sweeps):
    """Adds record_fields to every case from the sweep it was measured in (`measured`), or else from
    the first of fallback_sweeps holding its case at its tuned time (cases summarized before
    record_fields existed)."""
    import json, re
    for c in out['cases']:
        paths = [re.match(r'(.*) \(', c['measured']).group(1)] if 'measured' in c else fallback_sweeps
        for path in paths:
            hits = [r for r in json.load(open(path))['records'] if 'ms' in r and f"{r['op']} {r['n']}->{r['m']}" == c['case']
                    and r['dtype'] == c['dtype'] and r['batch'] == c['batch'] and round(r['ms'], 4) == c['monc_ms']['tuned']]
            if hits:
                c.update(record_fields(hits[0]))
                c.setdefault('measured', f"{path} ({json.load(open(path))['date']})")
                break
        else:
            raise SystemExit(f"no sweep record for {c['case']} {c['dtype']} {c['batch']}")
