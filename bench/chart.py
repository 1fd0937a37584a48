#!/usr/bin/env python3
"""SVG chart of a bench/run.sh run: throughput (req/s) against connections, ours vs etcd. Standard library only.

Usage: chart.py RAW.tsv OUT.svg [--title TEXT]

Left panel: durable PUT (put_c1, put_c16, put_c64, ...), req/s against connections (log scale), one line for
ours and one for etcd. Right panel: the GET-only and mixed workloads (get_cN, mixed_cN, static) as bars for
ours, etcd and nginx. Every figure is the median over the rounds in RAW.tsv.
"""
import argparse
import csv
import math
import statistics
from xml.sax.saxutils import escape

COLORS = {"kv": "#1f6fb4", "etcd": "#e8710a", "nginx": "#8c8c8c"}
NAMES = {"kv": "ours (kv-store)", "etcd": "etcd 3.4", "nginx": "nginx, fixed reply"}
W, H = 960, 450
TOP, BOTTOM = 100, 380  # plot area, y in pixels


def medians(path):
    with open(path) as f:
        rows = list(csv.DictReader((l for l in f if not l.startswith("#")), delimiter="\t"))
    acc = {}
    for r in rows:
        try:
            acc.setdefault((r["workload"], r["target"]), []).append(float(r["rps"]))
        except (TypeError, ValueError):
            pass
    return {k: statistics.median(v) for k, v in acc.items()}, len({r["rep"] for r in rows})


def nice_max(v):
    if v <= 0:
        return 1, 1
    raw = v / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return step * math.ceil(v / step), step


def k(v):
    return f"{v / 1000:.3g}k" if v >= 1000 else f"{v:.0f}"


def text(x, y, s, size=12, anchor="middle", weight="normal", color="#222", extra=""):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{color}"{extra}>{escape(s)}</text>')


def y_axis(out, x0, x1, ymax, step):
    def ypx(v):
        return BOTTOM - (BOTTOM - TOP) * v / ymax
    v = 0.0
    while v <= ymax + step / 2:
        y = ypx(v)
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(text(x0 - 6, y + 4, k(v), 11, "end", color="#555"))
        v += step
    out.append(f'<line x1="{x0}" y1="{TOP}" x2="{x0}" y2="{BOTTOM}" stroke="#444"/>')
    out.append(f'<line x1="{x0}" y1="{BOTTOM}" x2="{x1}" y2="{BOTTOM}" stroke="#444"/>')
    out.append(text(x0 - 48, (TOP + BOTTOM) / 2, "requests per second", 12, extra=
                    f' transform="rotate(-90 {x0 - 48} {(TOP + BOTTOM) / 2})"'))
    return ypx


def put_panel(out, med, x0, x1):
    out.append(text((x0 + x1) / 2, TOP - 22, "Durable PUT: throughput against connections", 14, weight="bold"))
    conns = sorted({int(w[len("put_c"):]) for (w, _) in med if w.startswith("put_c")})
    if not conns:
        out.append(text((x0 + x1) / 2, (TOP + BOTTOM) / 2, "no PUT workload in this run", 13, color="#777"))
        return
    ymax, step = nice_max(max(med.get((f"put_c{c}", t), 0) for c in conns for t in ("kv", "etcd")) * 1.1)
    ypx = y_axis(out, x0, x1, ymax, step)
    lo, hi = math.log2(conns[0]), math.log2(conns[-1])
    pad = 40

    def xpx(c):
        return (x0 + x1) / 2 if hi == lo else x0 + pad + (x1 - x0 - 2 * pad) * (math.log2(c) - lo) / (hi - lo)
    for c in conns:
        out.append(f'<line x1="{xpx(c):.1f}" y1="{BOTTOM}" x2="{xpx(c):.1f}" y2="{BOTTOM + 5}" stroke="#444"/>')
        out.append(text(xpx(c), BOTTOM + 19, str(c), 12))
    out.append(text((x0 + x1) / 2, BOTTOM + 40, "concurrent connections (log scale)", 12))
    for t in ("kv", "etcd"):
        pts = [(xpx(c), ypx(med[(f"put_c{c}", t)]), med[(f"put_c{c}", t)]) for c in conns if (f"put_c{c}", t) in med]
        if not pts:
            continue
        out.append(f'<polyline fill="none" stroke="{COLORS[t]}" stroke-width="2.5" points="'
                   + " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in pts) + '"/>')
        for x, y, v in pts:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{COLORS[t]}"/>')
            # label above the higher line, below the lower one, so that the two do not overlap
            other = "etcd" if t == "kv" else "kv"
            c = [c for c in conns if abs(xpx(c) - x) < 0.5][0]
            below = med.get((f"put_c{c}", other), -1) > v
            if c == conns[0] and len(conns) > 1:  # left of the first point: the lines rise to its right
                gap = abs(ypx(med.get((f"put_c{c}", other), -ymax)) - y)  # pixels to the other line's point
                dy = 4 if gap >= 16 else (13 if below else -6)
                out.append(text(x - 9, y + dy, k(v), 11, "end", color=COLORS[t], weight="bold"))
            else:
                out.append(text(x, y + 18 if below else y - 9, k(v), 11, color=COLORS[t], weight="bold"))


def read_panel(out, med, x0, x1):
    out.append(text((x0 + x1) / 2, TOP - 22, "Reads and mixed load", 14, weight="bold"))
    order = {"static": 0, "get": 1, "mixed": 2}
    ws = sorted({w for (w, _) in med if not w.startswith("put_")},
                key=lambda w: (order.get(w.split("_")[0], 3), int(w.split("_c")[-1]) if "_c" in w else 0))
    if not ws:
        out.append(text((x0 + x1) / 2, (TOP + BOTTOM) / 2, "no GET or mixed workload", 13, color="#777"))
        return
    ymax, step = nice_max(max(v for (w, _), v in med.items() if w in ws) * 1.1)
    ypx = y_axis(out, x0, x1, ymax, step)
    targets = [t for t in ("kv", "etcd", "nginx") if any((w, t) in med for w in ws)]
    group = (x1 - x0) / len(ws)
    bar = min(38, group * 0.8 / len(targets))
    for i, w in enumerate(ws):
        gx = x0 + group * i + (group - bar * len(targets)) / 2
        for j, t in enumerate(targets):
            if (w, t) not in med:
                continue
            v = med[(w, t)]
            x, y = gx + j * bar, ypx(v)
            out.append(f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{bar - 4:.1f}" height="{BOTTOM - y:.1f}" '
                       f'fill="{COLORS[t]}"/>')
            out.append(text(x + bar / 2, y - 5, k(v), 10, color=COLORS[t], weight="bold"))
        kind, _, c = w.partition("_c")
        name = {"get": "GET", "mixed": "90% GET/10% PUT", "static": "fixed GET"}.get(kind, kind)
        out.append(text(x0 + group * (i + 0.5), BOTTOM + 19, name, 12))
        out.append(text(x0 + group * (i + 0.5), BOTTOM + 34, f"c={c or 64}", 11, color="#555"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("out")
    ap.add_argument("--title", default="kv-store vs etcd")
    a = ap.parse_args()
    med, rounds = medians(a.raw)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           text(20, 26, a.title, 16, "start", "bold"),
           text(20, 44, f"median of {rounds} round(s) on one machine; compare the lines, not figures from "
                        "other runs", 11, "start", color="#555")]
    # legend, right, on the line of the subtitle (a long title may run over the top line)
    lx = W - 20
    for t in ("nginx", "etcd", "kv"):
        lx -= 14 + 7.2 * len(NAMES[t]) + 18
        out.append(f'<rect x="{lx:.1f}" y="33" width="14" height="14" fill="{COLORS[t]}"/>')
        out.append(text(lx + 19, 45, NAMES[t], 12, "start"))
    put_panel(out, med, 90, 540)
    read_panel(out, med, 650, W - 20)
    out.append("</svg>")
    with open(a.out, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
