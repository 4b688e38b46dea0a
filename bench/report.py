#!/usr/bin/env python3
"""Reads bench/results and writes bench/results/summary.json and SVG charts in bench/charts."""
import json
import pathlib
import re
from statistics import fmean

RESULTS = pathlib.Path(__file__).parent / "results"
CHARTS = pathlib.Path(__file__).parent / "charts"
LEVELS = [1, 8, 64]


def load(name):
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else None


def pgbench_tps(name):
    path = RESULTS / name
    if not path.exists():
        return None
    match = re.search(r"tps = ([0-9.]+)", path.read_text())
    return float(match.group(1)) if match else None


def wrk(name):
    path = RESULTS / name
    if not path.exists():
        return None
    text = path.read_text()
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", text)
    p99 = re.search(r"99%\s+([0-9.]+)(us|ms|s)", text)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "requests_per_s": float(rps.group(1)) if rps else None,
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else None,
    }


def svg_chart(title, ylabel, series, path):
    """A small log-x line chart of {label: [(x, y), ...]}."""
    width, height, left, bottom, top, right = 640, 360, 70, 40, 40, 190
    points = [p for values in series.values() for p in values if p[1] is not None]
    ymax = max((y for _, y in points), default=1) * 1.1 or 1
    xs = LEVELS
    def px(x):
        return left + (xs.index(x)) * (width - left - right) / (len(xs) - 1)
    def py(y):
        return height - bottom - y * (height - top - bottom) / ymax
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
           f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="black"/>',
           f'<text x="15" y="{height / 2}" transform="rotate(-90 15 {height / 2})" text-anchor="middle">{ylabel}</text>',
           f'<text x="{(left + width - right) / 2}" y="{height - 8}" text-anchor="middle">concurrent clients</text>']
    for x in xs:
        out.append(f'<text x="{px(x)}" y="{height - bottom + 15}" text-anchor="middle">{x}</text>')
    for i in range(5):
        y = ymax * i / 4
        out.append(f'<text x="{left - 5}" y="{py(y) + 4}" text-anchor="end">{y:.0f}</text>')
        out.append(f'<line x1="{left}" y1="{py(y)}" x2="{width - right}" y2="{py(y)}" stroke="#eee"/>')
    for i, (label, values) in enumerate(series.items()):
        color = colors[i % len(colors)]
        good = [(x, y) for x, y in values if y is not None]
        if len(good) > 1:
            d = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in good)
            out.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y in good:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}"/>')
        out.append(f'<rect x="{width - right + 10}" y="{top + i * 20}" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{width - right + 28}" y="{top + i * 20 + 10}">{label}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")


def bar_chart(title, bars, path, target=None):
    """A horizontal bar chart of [(label, value)], with a dashed line at `target`."""
    width, row, left, right, top = 720, 26, 300, 70, 40
    height = top + row * len(bars) + 30
    vmax = max([v for _, v in bars if v is not None] + [target or 0]) * 1.1 or 1
    def px(v):
        return left + v * (width - left - right) / vmax
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>']
    for i, (label, value) in enumerate(bars):
        y = top + i * row
        out.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{label}</text>')
        if value is not None:
            out.append(f'<rect x="{left}" y="{y + 4}" width="{px(value) - left:.1f}" height="{row - 8}" fill="#1f77b4"/>')
            out.append(f'<text x="{px(value) + 4:.1f}" y="{y + 16}">{value:.2f}x</text>')
    if target:
        out.append(f'<line x1="{px(target):.1f}" y1="{top}" x2="{px(target):.1f}" y2="{height - 30}" stroke="#d62728" stroke-dasharray="4"/>')
        out.append(f'<text x="{px(target):.1f}" y="{height - 14}" text-anchor="middle" fill="#d62728">{target}x</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")


def mean(values):
    values = list(values)
    return fmean(values) if values else None


def ratio(value, ceiling):
    return value / ceiling if value and ceiling else None


def paths():
    """Every path's rate over its database ceiling measured in the same run: [(label, path, ceiling, ratio)]."""
    created = lambda name: (load(name) or {}).get("created_per_s")
    requests = lambda name: (load(name) or {}).get("requests_per_s")
    hot_row = pgbench_tps("pgbench-single_statement-64.txt")
    # bench/webhooks.sh alternates rounds of disabled and subscribed runs: each side's mean.
    webhooks = lambda state: mean(filter(None, (created(p.name) for p in RESULTS.glob(f"webhooks-{state}-*.json"))))
    rows = [
        ("hot bookings, group commit", created("hot-batched-64.json"), "pgbench 1 statement, hot row", hot_row),
        ("hot bookings, every one keyed", created("hot-batched-keyed-64.json"), "pgbench 1 statement, hot row", hot_row),
        ("spread bookings, 1,000 events", created("spread-64.json"), "pgbench 1 statement, spread",
         pgbench_tps("pgbench-single_statement_spread-64.txt")),
        ("holds", requests("holds-64.json"), "pgbench 1 statement, hot row (holds.sh)", pgbench_tps("pgbench-holds-run-64.txt")),
        ("hold + confirm pairs", created("holds-confirm-64.json"), "pgbench 1 statement, hot row (holds.sh)",
         pgbench_tps("pgbench-holds-run-64.txt")),
        ("check-ins", requests("checkins-64.json"), "pgbench guarded UPDATE (tickets.sh)", pgbench_tps("pgbench-checkin-64.txt")),
        ("seated, best available", created("seated-best-64.json"), "pgbench 1 statement, hot row (seating.sh)",
         pgbench_tps("pgbench-seating-64.txt")),
        ("seated, named seat", created("seated-named-64.json"), "pgbench 1 statement, hot row (seating.sh)",
         pgbench_tps("pgbench-seating-64.txt")),
        ("queue joins", requests("queue-joins-64.json"), "pgbench 1 statement, hot row (queue.sh)", pgbench_tps("pgbench-queue-64.txt")),
        ("hot bookings, webhook subscribed, mean of rounds", webhooks("on"), "the same, endpoint disabled", webhooks("off")),
    ]
    return [(label, value, ceiling_name, ceiling, ratio(value, ceiling)) for label, value, ceiling_name, ceiling in rows]


def main():
    CHARTS.mkdir(exist_ok=True)
    hot = {mode: {c: load(f"hot-{mode}-{c}.json") for c in LEVELS} for mode in ("batched", "single")}
    pg = {script: {c: pgbench_tps(f"pgbench-{script}-{c}.txt") for c in LEVELS}
          for script in ("single_statement", "evently_transaction")}
    summary = {
        "hot": {mode: {c: (r and {"created_per_s": r["created_per_s"], "latency_ms": r["latency_ms"]}) for c, r in runs.items()}
                for mode, runs in hot.items()},
        "hot_keyed_64": {mode: (r and {"created_per_s": r["created_per_s"], "latency_ms": r["latency_ms"],
                                       "statuses": r.get("statuses")})
                         for mode in ("batched", "single")
                         for r in [load(f"hot-{mode}-keyed-64.json")]},
        "pgbench_tps": pg,
        "pgbench_single_statement_spread_64": pgbench_tps("pgbench-single_statement_spread-64.txt"),
        "stampede": load("stampede.json"),
        "spread_64": load("spread-64.json"),
        "mixed_64": load("mixed-64.json"),
        "wrk": {name: wrk(f"wrk-{name}.txt")
                for name in ("bare", "read-cached", "read-one-cached", "read-strict", "read-local", "read-uncached")},
        "staleness": {mode: (r and r["latency_ms"]) for mode in ("near", "strict") for r in [load(f"staleness-{mode}.json")]},
        "peak_rss_kib": {p.name[len("peak-rss-"):-len(".txt")]: int(p.read_text().split()[0])
                         for p in sorted(RESULTS.glob("peak-rss-*.txt")) if p.read_text().strip()},
        "paths": [{"path": label, "per_s": value, "ceiling": ceiling_name, "ceiling_per_s": ceiling, "ratio": r}
                  for label, value, ceiling_name, ceiling, r in paths()],
    }
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    rate = lambda r: r and r["created_per_s"]
    svg_chart("Bookings per second on one hot event", "bookings / s", {
        "Evently, group commit": [(c, rate(hot["batched"][c])) for c in LEVELS],
        "Evently, 1 tx / booking": [(c, rate(hot["single"][c])) for c in LEVELS],
        "pgbench, 1 statement": [(c, pg["single_statement"][c]) for c in LEVELS],
        "pgbench, Evently's tx": [(c, pg["evently_transaction"][c]) for c in LEVELS],
    }, CHARTS / "hot-throughput.svg")
    p99 = lambda r: r and r["latency_ms"]["p99"]
    svg_chart("Booking latency p99 on one hot event", "ms", {
        "Evently, group commit": [(c, p99(hot["batched"][c])) for c in LEVELS],
        "Evently, 1 tx / booking": [(c, p99(hot["single"][c])) for c in LEVELS],
    }, CHARTS / "hot-latency-p99.svg")
    bare = (summary["wrk"]["bare"] or {}).get("requests_per_s")
    bar_chart("Every path over its database ceiling, same run (64 clients)",
              [(p["path"], p["ratio"]) for p in summary["paths"]], CHARTS / "paths-over-ceiling.svg")
    bar_chart("Cached GET /api/v1/events?limit=20 over a bare actix-web handler", [
        ("Redis, near cache (default)", ratio((summary["wrk"]["read-cached"] or {}).get("requests_per_s"), bare)),
        ("Redis, strict", ratio((summary["wrk"]["read-strict"] or {}).get("requests_per_s"), bare)),
        ("in-process (no Redis)", ratio((summary["wrk"]["read-local"] or {}).get("requests_per_s"), bare)),
        ("no cache", ratio((summary["wrk"]["read-uncached"] or {}).get("requests_per_s"), bare)),
    ], CHARTS / "reads-over-bare.svg", target=0.4)
    print(json.dumps(summary["wrk"], indent=2))
    for p in summary["paths"]:
        print(p)
    print("peak RSS KiB", summary["peak_rss_kib"])
    print("staleness ms", summary["staleness"])
    for mode in hot:
        print(mode, {c: rate(hot[mode][c]) for c in LEVELS}, "keyed at 64:", rate(summary["hot_keyed_64"][mode]))
    print("pgbench", pg)


if __name__ == "__main__":
    main()


def markdown():
    """The tables of BENCHMARKS.md, from summary.json."""
    s = json.loads((RESULTS / "summary.json").read_text())
    hot, pg = s["hot"], s["pgbench_tps"]
    lines = ["| clients | Evently, group commit | p50 / p99 ms | Evently, 1 tx per booking | p50 / p99 ms | pgbench, 1 statement | pgbench, Evently's tx |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for c in map(str, LEVELS):
        b, o = hot["batched"][c], hot["single"][c]
        lines.append(f"| {c} | {b['created_per_s']:.0f} | {b['latency_ms']['p50']:.1f} / {b['latency_ms']['p99']:.1f} | "
                     f"{o['created_per_s']:.0f} | {o['latency_ms']['p50']:.1f} / {o['latency_ms']['p99']:.1f} | "
                     f"{pg['single_statement'][c]:.0f} | {pg['evently_transaction'][c]:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__" and len(__import__("sys").argv) > 1 and __import__("sys").argv[1] == "--markdown":
    print(markdown())
