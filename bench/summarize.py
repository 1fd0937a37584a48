#!/usr/bin/env python3
"""Median summary of raw.tsv files written by run.sh (all metrics, including CPU per request).
Copied unchanged from the peer benchmarks in shared/bench/summarize.py; bench/run.sh writes its output to
summary.md beside results.md, which bench/table.py writes.

Usage: summarize.py RAW.tsv [RAW2.tsv ...] [--compact] [--ratio TARGET_A:TARGET_B]...
Rows are grouped by the key columns (target, workload, dir, test, conc, mode, ...);
every other column except 'rep' is numeric and reported as median (and min..max for the
first metric). --ratio A:B prints, per workload, the median of the per-round ratios A/B of the first metric
(rps / iops), pairing runs of the same file and rep (they were interleaved), and the ratio of
medians. --max-foreign X keeps only runs during which other processes used < X cores
(rows without a foreign_cpu column are dropped). --compact keeps only rps/iops, MBps, p50, p99, foreign_cpu and CPU us per request.
"""
import csv
import statistics
import sys

KEYS = ["target", "workload", "dir", "test", "conc"]
COMPACT = ["rps", "iops", "MBps", "p50_ms", "p99_ms", "foreign_cpu", "all_cpu_us_per_req", "srv_cpu_us_per_req"]


def load(paths):
    rows = []
    for i, p in enumerate(paths):
        with open(p) as f:
            for r in csv.DictReader((l for l in f if not l.startswith("#")), delimiter="\t"):
                r["_run"] = "%d/%s" % (i, r.get("rep"))  # same file + same rep = one interleaved round
                rows.append(r)
    return rows


def fnum(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def main():
    args, ratio_pairs, compact, max_foreign = [], [], False, None
    it = iter(sys.argv[1:])
    for a in it:
        if a == "--ratio":
            ratio_pairs.append(next(it).split(":"))
        elif a == "--compact":
            compact = True
        elif a == "--max-foreign":
            max_foreign = float(next(it))
        else:
            args.append(a)
    rows = load(args)
    # stable order: workload/test first seen, then target first seen (before any filtering)
    first = {}
    for r in rows:
        for c in ("workload", "test", "conc", "dir", "target"):
            if r.get(c) is not None:
                first.setdefault((c, r[c]), len(first))
    if max_foreign is not None:  # keep only runs where other processes used < X cores
        rows = [r for r in rows if fnum(r.get("foreign_cpu")) is not None and fnum(r["foreign_cpu"]) < max_foreign]
    if not rows:
        print("(no rows)")
        return
    # derived, contention-robust: CPU microseconds per request (server alone / server + load client)
    for r in rows:
        rate = fnum(r.get("rps")) or fnum(r.get("iops"))
        if rate:
            if fnum(r.get("server_cpu")) is not None:
                r["srv_cpu_us_per_req"] = "%.2f" % (fnum(r["server_cpu"]) * 1e6 / rate)
            if fnum(r.get("own_cpu")) is not None:
                r["all_cpu_us_per_req"] = "%.2f" % (fnum(r["own_cpu"]) * 1e6 / rate)
    cols = []
    for r in rows:
        cols += [c for c in r.keys() if c not in cols]
    keys = [c for c in cols if c in KEYS]
    metrics = [c for c in cols if c not in KEYS and c not in ("rep", "_run")
               and any(fnum(r.get(c)) is not None for r in rows)]  # non-numeric extras (mode) dropped
    if compact:
        metrics = [m for m in COMPACT if m in metrics]
    groups = {}
    for r in rows:
        groups.setdefault(tuple(r.get(k) or "" for k in keys), []).append(r)
    order = [c for c in ("workload", "test", "conc", "dir", "target") if c in keys]
    groups = dict(sorted(groups.items(), key=lambda kv: [first.get((c, kv[0][keys.index(c)]), 0) for c in order]))
    med = {}
    print("| " + " | ".join(keys + ["n"] + [f"{m} (median)" for m in metrics] + [f"{metrics[0]} min..max"]) + " |")
    print("|" + "---|" * (len(keys) + 1 + len(metrics) + 1))
    for g, rs in groups.items():
        vals = {}
        for m in metrics:
            xs = [fnum(r.get(m)) for r in rs if fnum(r.get(m)) is not None]
            vals[m] = statistics.median(xs) if xs else None
        xs0 = [fnum(r.get(metrics[0])) for r in rs if fnum(r.get(metrics[0])) is not None]
        med[g] = vals
        cells = list(g) + [str(len(rs))]
        for m in metrics:
            v = vals[m]
            cells.append("" if v is None else (f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}" if v else "0"))
        cells.append(f"{min(xs0):.0f}..{max(xs0):.0f}" if xs0 else "")
        print("| " + " | ".join(cells) + " |")
    for a, b in ratio_pairs:
        ti = keys.index("target")
        print(f"\nRatio {a}/{b} of {metrics[0]}: median of per-round ratios (same file+rep, interleaved) "
              f"[min..max], and ratio of medians")
        for g, v in med.items():
            if g[ti] != a:
                continue
            gb = tuple(b if i == ti else x for i, x in enumerate(g))
            if gb not in med or not med[gb][metrics[0]]:
                continue
            ra = {r["_run"]: fnum(r.get(metrics[0])) for r in groups[g]}
            rb = {r["_run"]: fnum(r.get(metrics[0])) for r in groups[gb]}
            pr = sorted(ra[k] / rb[k] for k in ra if k in rb and ra[k] and rb[k])
            wl = " ".join(x for i, x in enumerate(g) if i != ti)
            if pr:
                print(f"  {wl}: {statistics.median(pr):.3f} [{pr[0]:.3f}..{pr[-1]:.3f}] n={len(pr)}; "
                      f"of medians {v[metrics[0]] / med[gb][metrics[0]]:.3f}")


if __name__ == "__main__":
    main()
