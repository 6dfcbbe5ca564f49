"""Chart of bench.json: requests/s and p99 latency against concurrency, one line per setup.

Usage: chart.py BENCH_JSON OUT_PNG (run with bench/.venv, which has matplotlib).
"""
import json
import sys

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

STYLE = {"devserver": ("tab:red", "o"), "gunicorn": ("tab:blue", "s"),
         "stack": ("tab:green", "D"), "static": ("tab:gray", "^"),
         "waitress": ("tab:purple", "v"), "waitress_stack": ("tab:olive", "P"), "apache_stack": ("tab:orange", "X")}


def main(source, target):
    result = json.loads(open(source, encoding="utf-8").read())
    fig, (rps_ax, p99_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for setup in result["serving"]:
        color, marker = STYLE.get(setup["key"], (None, "o"))
        xs = [p["concurrency"] for p in setup["points"]]
        rps_ax.plot(xs, [p["rps"] for p in setup["points"]], marker=marker, color=color, label=setup["label"])
        p99_ax.plot(xs, [p["p99_ms"] for p in setup["points"]], marker=marker, color=color, label=setup["label"])
        # A point with failed requests gets a red ring: its figures are not clean.
        bad = [p for p in setup["points"] if p["error_total"]]
        for ax, field in ((rps_ax, "rps"), (p99_ax, "p99_ms")):
            ax.scatter([p["concurrency"] for p in bad], [p[field] for p in bad], s=140,
                       facecolors="none", edgecolors="red", linewidths=1.5, zorder=3)
        # The figure the goals are read at, written beside the point.
        at64 = next((p for p in setup["points"] if p["concurrency"] == 64), None)
        if at64:
            rps_ax.annotate(f"{at64['rps']:,.0f}", (64, at64["rps"]), textcoords="offset points",
                            xytext=(6, 4), fontsize=8, color=color)
    for ax, title, unit in ((rps_ax, "Throughput (higher is better)", "requests/s, log scale"),
                            (p99_ax, "p99 latency (lower is better)", "ms, log scale")):
        ax.set_xscale("log", base=2)
        ax.set_xticks([1, 16, 64, 256], labels=["1", "16", "64", "256"])
        ax.set_xlabel("concurrent connections")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
    # nginx alone is 10x the app: a log scale keeps every line readable.
    for ax in (rps_ax, p99_ax):
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    rps_ax.margins(y=0.15)  # room for the labels at the top
    p99_ax.axhline(50, color="black", linestyle="--", linewidth=0.8)
    p99_ax.annotate("goal at 64: p99 < 50 ms", (1, 50), textcoords="offset points", xytext=(0, 4), fontsize=8)
    handles, labels = rps_ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, frameon=False, fontsize=9)
    m = result["machine"]
    fig.suptitle(f"Hello world, wrk, {result['date']}: {m['cores']} cores ({m['cpu']})"
                 " - red ring: the point had errors", fontsize=9)
    fig.tight_layout(rect=(0, 0.12, 1, 0.95))
    fig.savefig(target, dpi=110)


if __name__ == "__main__":
    main(*sys.argv[1:3])
