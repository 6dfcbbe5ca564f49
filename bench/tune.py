#!/usr/bin/env python3
"""What each serving default changes, measured on flask-bench (`python bench/tune.py`).

The host is converged once with the defaults; each variant then edits the deployed
files on the host (from saved copies), restarts gunicorn and reloads nginx, and the full
stack is loaded at concurrency 64. A last converge must report changed=0. Also measured:
TLS session resumption (a new connection per request, cache on and off) and a static
file from nginx against the same file from Flask. Writes
bench/results/tuning.{json,md}. About 9 minutes with the default 3 rounds.
"""
import argparse
import datetime
import json
import time

import bench

# Each variant is a list of edits to the deployed files, made on the host after the
# converge: a sed per edit, then gunicorn restarts (socket activation keeps the listener)
# and nginx reloads. Every variant starts from the files the converge wrote.
FILES = "nginx=/etc/nginx/nginx.conf site=/etc/nginx/conf.d/{app}.conf conf=$(systemctl show -p ExecStart " \
        "--value gunicorn-{app}.service | sed -n 's/.*--config \\([^ ]*\\) .*/\\1/p')"
EDITS = {
    "gunicorn": "sed -i -E 's/^workers = .*/workers = {0}/; s/^worker_class = .*/worker_class = \"{1}\"/; "
                "s/^threads = .*/threads = {2}/' $conf",
    "no-upstream-keepalive": "sed -i -E '/^ *(keepalive |keepalive_timeout |proxy_http_version 1.1;"
                             "|proxy_set_header Connection \"\";)/d' $site",
    "recycle": "sed -i -E 's/^max_requests = .*/max_requests = {0}/; s/^max_requests_jitter = .*/max_requests_jitter = {1}/' "
               "$conf",
    "upstream-keepalive": "sed -i -E 's/^( *)keepalive [0-9]+;/\\1keepalive {0};/' $site",
    "nginx-workers": "sed -i -E 's/^worker_processes .*/worker_processes {0};/' $nginx",
    "buffering-off": "sed -i 's/^\\( *\\)proxy_hide_header X-Powered-By;/&\\n\\1proxy_buffering off;/' $site",
    "access-log-buffered": "sed -i 's#^\\( *\\)access_log /var/log/nginx/access.log;#\\1access_log "
                           "/var/log/nginx/access.log combined buffer=64k flush=5s;#' $nginx",
    "session-cache-off": "sed -i 's/ssl_session_cache [^;]*;/ssl_session_cache off;/' $nginx",
}


def variants(cores, stack, static):
    """(key, label, edits, URL, concurrency, extra wrk arguments) of every measurement."""
    more, most, workers = 2 * cores + 1, 4 * cores + 1, max(cores, 2)
    sync, gthread = ("gunicorn", more, "sync", 1), ("gunicorn", more, "gthread", 4)
    no_keepalive = ("no-upstream-keepalive",)
    recycle = ("recycle", 1000, 100)
    closing = '-H "Connection: close"'
    return [
        ("defaults", f"defaults: gthread {workers} x 4 threads (one per core), no recycling, upstream keepalive 32",
         [], stack, 64, ""),
        ("recycle", "defaults, but each worker replaced after 1000 requests (max_requests)", [recycle],
         stack, 64, ""),
        ("previous", f"previous defaults: gthread {most} x 2 threads, max_requests 1000, upstream keepalive 16",
         [("gunicorn", most, "gthread", 2), recycle, ("upstream-keepalive", 16)], stack, 64, ""),
        ("cores-plus-one", f"gthread {cores + 1} x 4 threads (cores + 1), no recycling",
         [("gunicorn", cores + 1, "gthread", 4)], stack, 64, ""),
        ("more-workers", f"gthread {more} x 2 threads (2 x cores + 1), no recycling",
         [("gunicorn", more, "gthread", 2)], stack, 64, ""),
        ("threads-2", f"gthread {workers} x 2 threads, no recycling", [("gunicorn", workers, "gthread", 2)],
         stack, 64, ""),
        ("threads-8", f"gthread {workers} x 8 threads, no recycling", [("gunicorn", workers, "gthread", 8)],
         stack, 64, ""),
        ("keepalive-16", "defaults, but upstream keepalive 16", [("upstream-keepalive", 16)], stack, 64, ""),
        ("before", f"before tuning: {more} sync workers, no upstream keepalive, max_requests 1000",
         [sync, no_keepalive, recycle], stack, 64, ""),
        ("gthread", f"gthread {more} x 4 threads, no upstream keepalive, max_requests 1000",
         [gthread, no_keepalive, recycle], stack, 64, ""),
        ("sync-keepalive", f"{more} sync workers, upstream keepalive 32, max_requests 1000", [sync, recycle],
         stack, 64, ""),
        ("nginx-1-worker", "defaults, but nginx worker_processes 1 (auto: one per core)",
         [("nginx-workers", 1)], stack, 64, ""),
        ("buffering-off", "defaults, but proxy_buffering off", [("buffering-off",)], stack, 64, ""),
        ("access-log-buffered", "defaults, plus access_log buffer=64k", [("access-log-buffered",)],
         stack, 64, ""),
        ("tls-cache-on", "nginx alone, a new TLS connection per request, session cache on (default)",
         [], static, 16, closing),
        ("tls-cache-off", "nginx alone, a new TLS connection per request, session cache off",
         [("session-cache-off",)], static, 16, closing),
        ("static-nginx", "a static file from nginx over TLS", [], stack + "static/hello.txt", 64, ""),
        ("static-flask", "the same file from Flask (gunicorn alone, no TLS)", [],
         "http://127.0.0.1:8001/static/hello.txt", 64, ""),
    ]


def apply(hosts, app, edits):
    """Put back the converged files, make the edits, restart gunicorn, reload nginx."""
    script = [FILES.format(app=app), "set -e",
              "for f in $nginx $site $conf; do cp /root/bench/orig/$(basename $f) $f; done"]
    script += [EDITS[name].format(*params) for name, *params in edits]
    script += [f"nginx -t -q && systemctl reload nginx && systemctl restart gunicorn-{app}.service",
               "for i in $(seq 60); do [ \"$(curl -sk -o /dev/null -w '%{http_code}' https://localhost:443/)\" = 200 ]"
               " && exit 0; sleep 0.5; done; echo 'no 200 after the change' >&2; exit 1"]
    hosts.ssh(hosts.main, "\n".join(script))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="wrk run per point (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--keep", action="store_true", help="leave flask-bench running")
    args = parser.parse_args()
    bench.WORK.mkdir(exist_ok=True)
    hosts = bench.Hosts()
    app = bench.app_name()
    bench.fresh_app()
    hosts.up([hosts.main])
    bench.playbook("tune-converge", "site.yml", [hosts.main])
    for name in ("hostside.sh", "report.lua"):
        hosts.put(hosts.main, bench.BENCH / name, f"/root/bench/{name}")
    hosts.ssh(hosts.main, f"/root/bench/hostside.sh setup {app}", timeout=300)
    cores = int(hosts.ssh(hosts.main, "nproc"))
    hosts.ssh(hosts.main, FILES.format(app=app) + "; mkdir -p /root/bench/orig; cp $nginx $site $conf /root/bench/orig/")
    stack_url = next(url for key, _, url, _ in bench.SETUPS if key == "stack")
    static_url = next(url for key, _, url, _ in bench.SETUPS if key == "static")
    result = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": bench.machine(), "seconds_per_point": args.seconds, "rounds": args.rounds,
              "variants": []}

    def load(label, url, concurrency, wrk_args=""):
        line = hosts.ssh(hosts.main, f"wrk -t2 -c16 -d2s {wrk_args} {url} >/dev/null; wrk -t2 -c{concurrency} "
                         f"-d{args.seconds}s --timeout 2s {wrk_args} -s /root/bench/report.lua {url}",
                         timeout=args.seconds + 60).strip().splitlines()[-1]
        raw = json.loads(line)
        point = {"label": label, "concurrency": concurrency,
                 "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
                 "p50_ms": round(raw["p50_us"] / 1000, 2), "p99_ms": round(raw["p99_us"] / 1000, 2),
                 "errors": sum(raw[k] for k in ("connect", "read", "write", "timeout", "status"))}
        bench.log(f"{label:60.60} c={concurrency:<3} {point['rps']:8.0f} req/s  p99 {point['p99_ms']:8.2f} ms"
                  f"  errors {point['errors']}")
        return point

    # Rounds interleave the variants, so a burst of load from elsewhere on the machine
    # spreads over all of them; each figure is the median of the rounds.
    plan = variants(cores, stack_url, static_url)
    runs = {key: [] for key, *_ in plan}
    for number in range(args.rounds):
        bench.log(f"round {number + 1} of {args.rounds}")
        for key, label, edits, url, concurrency, wrk_args in plan:
            apply(hosts, app, edits)
            if key == "static-flask":
                hosts.ssh(hosts.main, f"/root/bench/hostside.sh start gunicorn {app}")
            runs[key].append(load(label, url, concurrency, wrk_args))
            if key == "static-flask":
                hosts.ssh(hosts.main, "/root/bench/hostside.sh stop gunicorn")
    apply(hosts, app, [])
    for key, label, edits, url, concurrency, wrk_args in plan:
        points = runs[key]
        middle = sorted(points, key=lambda p: p["rps"])[len(points) // 2]
        result["variants"].append({
            "key": key, "label": label, "edits": edits, "url": url, "concurrency": concurrency,
            "rps": middle["rps"], "rps_range": [min(p["rps"] for p in points), max(p["rps"] for p in points)],
            "p50_ms": sorted(p["p50_ms"] for p in points)[len(points) // 2],
            "p99_ms": sorted(p["p99_ms"] for p in points)[len(points) // 2],
            "errors": sum(p["errors"] for p in points), "runs": points})
    # The host is back to what the roles write: a converge must change nothing.
    _, changed = bench.playbook("tune-after", "site.yml", [hosts.main])
    result["converge_after_changed"] = changed
    if not args.keep:
        hosts.down([hosts.main])

    result["duration_s"] = round(time.monotonic() - bench.START)
    (bench.RESULTS / "tuning.json").write_text(json.dumps(result, indent=2) + "\n")
    m = result["machine"]
    lines = ["# Tuning figures", "",
             f"Run {result['date']} in {result['duration_s']} s on {m['cpu']}, {m['cores']} cores (load average "
             f"{m['load_average_at_start']} at the start); wrk on the bench host, {args.rounds} interleaved "
             f"rounds of {args.seconds} s; medians, with the range of the rounds' requests/s.", "",
             "| variant | c | requests/s (median) | range | p50 ms | p99 ms | errors |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {v['label']} | {v['concurrency']} | {v['rps']:,.0f} | {v['rps_range'][0]:,.0f}-"
              f"{v['rps_range'][1]:,.0f} | {v['p50_ms']:.2f} | {v['p99_ms']:.2f} | {v['errors']} |"
              for v in result["variants"]]
    lines += ["", f"A converge after the variants reported changed={result['converge_after_changed']}."]
    (bench.RESULTS / "tuning.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
