#!/usr/bin/env python3
"""Per factor, every schedule monarch-goal timed (fastest first) and the best chain, from one or
more goal.json files (bench/monarch-goal.ts --out): what a device call's summary.txt holds.
Usage: python3 bench/goal-summary.py goal.json [goal-16k.json ...] > summary.txt"""
import json, sys


def knobs(schedule):
    return ' '.join(f'{k}={v}' for k, v in schedule.items() if k != 'family')


for path in sys.argv[1:]:
    for r in json.load(open(path))['records']:
        if 'nblocks' not in r:  # a dense case: one op, its timed schedules flat
            print(f"== dense {r['n']}->{r['m']} B{r['batch']} {r['dtype']}")
            factors = [r['all']]
        else:
            print(f"== {r['n']}->{r['m']} nb{r['nblocks']} B{r['batch']} {r['dtype']} chain {r['chain']['ms']:.4f}")
            factors = r['all']
        for i, timed in enumerate(factors):
            ok = sorted((t for t in timed if t.get('ms') is not None), key=lambda t: t['ms'])
            print(f'  factor {i}: {len(timed)} entries, {len(ok)} timed')
            for t in ok:
                s = t['schedule']
                print(f"    {t['ms']:.4f} {s['family']:<18} {knobs(s)}  err {t['relErr']:.1e}")
            # Bench-only probes (src/codegen/wgsl/fast/sgmat-probe.ts): timed with one stage left out, wrong by design.
            for t in sorted((t for t in timed if t.get('probeMs') is not None), key=lambda t: t['probeMs']):
                s = t['schedule']
                print(f"    probe {t['probeMs']:.4f} {s['family']:<18} {knobs(s)}  err {t['relErr']:.1e}")
            for t in timed:
                if t.get('ms') is None and t.get('probeMs') is None:
                    s = t['schedule']
                    print(f"    not timed {s['family']:<18} {knobs(s)}  {t.get('error', t.get('status', ''))}")
