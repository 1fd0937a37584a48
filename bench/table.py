#!/usr/bin/env python3
"""The Markdown table of bench/run.sh: medians over rounds of req/s and p99 for ours, etcd and nginx, and ratios.

Usage: table.py RAW.tsv [--meta META.txt] [--chart chart.svg]
RAW.tsv is what run.sh writes (one row per wrk run: rep, target, workload, rps, p99_ms, ...; target kv = ours).
META.txt lines "key: value" are printed as a list above the table. Python 3 standard library only.

A ratio is the median of the per-round ratios (in one round the targets ran back to back, so a change in the
machine's speed hits both alike), with the lowest and highest round in parentheses.
"""
import argparse
import os
import csv
import statistics

NAMES = {"kv": "ours", "etcd": "etcd", "nginx": "nginx"}


def fnum(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def label(w):
    if w == "static":
        return "one fixed GET, no Lua, c=64"
    kind, _, conc = w.partition("_c")
    text = {"get": "GET random key", "put": "durable PUT", "mixed": "90% GET / 10% PUT"}.get(kind, kind)
    return f"{text}, c={conc}"


def rate(x):
    return "–" if x is None else f"{x:,.0f}"


def ms(x):
    return "–" if x is None else (f"{x:.3g}" if x < 100 else f"{x:.0f}")


def cores(x):
    return f"{x:.2f}"


def per_round(by, w, ta, tb, col, f=lambda r: fnum(r.get("rps"))):
    """Per-round ratios of f(row) between two targets, sorted."""
    ra, rb = by.get((w, ta), {}), by.get((w, tb), {})
    xs = []
    for k in ra:
        if k in rb:
            x, y = f(ra[k]), f(rb[k])
            if x and y:
                xs.append(x / y)
    return sorted(xs)


def goals(by, rows):
    """Issue 14's goals, each with its ratio from this run (median of the rounds, lowest-highest) and whether met."""
    def rps(r):
        return fnum(r.get("rps"))

    def cpu(r):
        c, q = fnum(r.get("server_cpu")), fnum(r.get("rps"))
        return c * 1e6 / q if c is not None and q else None

    def p99(r):
        return fnum(r.get("p99_ms"))

    def med(w, t, f):
        xs = [f(r) for r in by.get((w, t), {}).values() if f(r) is not None]
        return statistics.median(xs) if xs else None

    spec = [  # label, workload, f, unit, other target, goal text, test on the ratio
        ("GET random key, c=64", "get_c64", rps, "req/s", "etcd", "≥ 1.2× etcd", lambda x: x >= 1.2),
        ("GET random key, c=64: share of nginx", "get_c64", rps, "req/s", "nginx", "≥ 40% of nginx",
         lambda x: x >= 0.4),
        ("server CPU per GET", "get_c64", cpu, "µs", "etcd", "≤ 0.8× etcd's", lambda x: x <= 0.8),
        ("durable PUT, c=64", "put_c64", rps, "req/s", "etcd", "≥ 1.5× etcd", lambda x: x >= 1.5),
        ("durable PUT, c=64: p99", "put_c64", p99, "ms", "etcd", "≤ etcd's", lambda x: x <= 1.0),
        ("durable PUT, c=1", "put_c1", rps, "req/s", "etcd", "≥ 1.0× etcd", lambda x: x >= 1.0),
        ("90/10 mixed, c=64", "mixed_c64", rps, "req/s", "etcd", "≥ 1.3× etcd", lambda x: x >= 1.3),
    ]
    lines = []
    for label, w, f, unit, other, goal, test in spec:
        xs = per_round(by, w, "kv", other, None, f)
        if not xs:
            continue
        m = statistics.median(xs)
        spread = f" ({xs[0]:.2f}–{xs[-1]:.2f})" if len(xs) > 1 else ""
        ours, theirs = med(w, "kv", f), med(w, other, f)
        fmt = (lambda v: f"{v:,.0f} {unit}") if unit == "req/s" else (lambda v: f"{v:.3g} {unit}")
        lines.append(f"| {label} | {fmt(ours)} | {other} {fmt(theirs)} | **{m:.2f}**{spread} | {goal} | "
                     f"{'met' if test(m) else 'not met'} |")
    if not lines:
        return
    foreign = [fnum(r.get("foreign_cpu")) for r in rows if fnum(r.get("foreign_cpu")) is not None]
    print("## Goals (issue 14)\n")
    print("| workload | ours | baseline | ratio | goal | |")
    print("|---|--:|--:|--:|---|---|")
    print("\n".join(lines))
    print()
    if foreign:
        print(f"Load: other processes used a median of {statistics.median(foreign):.2f} cores of the machine's "
              f"{os.cpu_count()} during the runs (max {max(foreign):.2f}). Ratios are medians of the rounds' ratios "
              "(lowest–highest).\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("--meta")
    ap.add_argument("--chart")
    a = ap.parse_args()
    with open(a.raw) as f:
        rows = list(csv.DictReader((l for l in f if not l.startswith("#")), delimiter="\t"))
    workloads, reps = [], set()
    by = {}  # (workload, target) -> {rep: row}
    for r in rows:
        if r["workload"] not in workloads:
            workloads.append(r["workload"])
        reps.add(r["rep"])
        by.setdefault((r["workload"], r["target"]), {})[r["rep"]] = r

    def med(w, t, col):
        xs = [fnum(r.get(col)) for r in by.get((w, t), {}).values()]
        xs = [x for x in xs if x is not None]
        return statistics.median(xs) if xs else None

    def ratio(w, ta, tb):
        ra, rb = by.get((w, ta), {}), by.get((w, tb), {})
        xs = sorted(fnum(ra[k]["rps"]) / fnum(rb[k]["rps"]) for k in ra if k in rb and fnum(ra[k]["rps"])
                    and fnum(rb[k]["rps"]))
        if not xs:
            return "–"
        return f"**{statistics.median(xs):.2f}** ({xs[0]:.2f}–{xs[-1]:.2f})" if len(xs) > 1 else f"**{xs[0]:.2f}**"

    def cpu_us(w, t):  # server CPU per request, per round, then the median
        xs = [fnum(r["server_cpu"]) * 1e6 / fnum(r["rps"]) for r in by.get((w, t), {}).values()
              if fnum(r.get("server_cpu")) is not None and fnum(r.get("rps"))]
        return statistics.median(xs) if xs else None

    print("# kv-store vs etcd: HTTP throughput and latency (`bench/run.sh`)\n")
    if a.meta:
        with open(a.meta) as f:
            for line in f:
                if line.strip():
                    k, _, v = line.rstrip("\n").partition(": ")
                    print(f"- **{k}**: {v}")
        print()
    goals(by, rows)
    print("| workload | ours req/s | etcd req/s | ours/etcd | nginx req/s | ours/nginx | ours p99 ms | etcd p99 ms | nginx p99 ms |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for w in workloads:
        print("| " + " | ".join([
            label(w),
            rate(med(w, "kv", "rps")), rate(med(w, "etcd", "rps")), ratio(w, "kv", "etcd"),
            rate(med(w, "nginx", "rps")), ratio(w, "kv", "nginx"),
            ms(med(w, "kv", "p99_ms")), ms(med(w, "etcd", "p99_ms")), ms(med(w, "nginx", "p99_ms")),
        ]) + " |")
    print()
    print(f"Medians of {len(reps)} round(s). A ratio is the median of the per-round ratios of req/s, lowest and highest "
          "round in parentheses: within a round the targets ran back to back, so it is the figure to quote. Absolute "
          "req/s and latencies depend on how busy the shared machine was and are not comparable across runs. Every "
          "PUT is durable: ours answers after `FileChannel.force` (`kv.wal.sync=always`), etcd after its WAL fsync. "
          "nginx sends a fixed reply and stores nothing: it is the HTTP ceiling of this machine and client.")
    print()

    foreign = [fnum(r.get("foreign_cpu")) for r in rows if fnum(r.get("foreign_cpu")) is not None]
    if foreign:
        busy = sum(1 for x in foreign if x >= 0.5)
        print(f"Other processes on the machine used a median of {cores(statistics.median(foreign))} cores during "
              f"the runs (max {cores(max(foreign))}); {busy} of {len(foreign)} runs had 0.5 cores or more taken "
              "by them.")
        print()
    errs = []
    for (w, t), rs in by.items():
        for rep, r in sorted(rs.items()):
            n2, se = int(fnum(r.get("non2xx")) or 0), int(fnum(r.get("sock_errors")) or 0)
            if n2 or se:
                errs.append(f"{NAMES.get(t, t)} {w} round {rep}: {n2} responses >= 400, {se} socket errors")
    print("Errors: " + ("; ".join(errs) if errs else "none (no response >= 400, no socket error)") + ".")
    print()

    print("Server CPU per request (µs, the server's processes only, median of the rounds): less sensitive to a busy "
          "machine than req/s.\n")
    print("| workload | ours | etcd | nginx | ours/etcd |")
    print("|---|--:|--:|--:|--:|")
    for w in workloads:
        k, e, n = cpu_us(w, "kv"), cpu_us(w, "etcd"), cpu_us(w, "nginx")
        print("| " + " | ".join([label(w), ms(k), ms(e), ms(n), f"{k / e:.2f}" if k and e else "–"]) + " |")
    if a.chart:
        print(f"\n![req/s against connections, ours and etcd]({a.chart})")


if __name__ == "__main__":
    main()
