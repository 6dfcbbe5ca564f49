#!/usr/bin/env python3
"""`make bench`: serving and provisioning speed of the single-host stack, in one run.

Serving: the hello-world app under the Flask development server, gunicorn alone, the
full stack (nginx TLS -> gunicorn) and nginx answering by itself over TLS, loaded by wrk
at each concurrency; and the alternatives, each on a bench host of its own converged in
the same run: waitress alone, nginx TLS -> waitress, Apache TLS -> gunicorn.
Provisioning: a fresh converge against a floor (the same apt and pip installs by hand);
an idempotent run and a code-only deploy (with the live virtualenv copied, and built
afresh) against Ansible's own floor (one `ansible -m ping`); the converge time of 1, 2
and 4 hosts. Writes bench/results/bench.{json,md,png}.
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
RESULTS = BENCH / "results"
INVENTORY = BENCH / "inventory"
KEY = ROOT / ".testbed" / "id_ed25519"
CONCURRENCY = [1, 16, 64, 256]
# (key, label, URL on its host, host: "main" or a key of ALTERNATIVES). The order is the
# order of the table and chart.
SETUPS = [
    ("devserver", "Flask development server (app.run)", "http://127.0.0.1:5000/", "main"),
    ("gunicorn", "gunicorn alone (loopback TCP)", "http://127.0.0.1:8001/", "main"),
    ("stack", "nginx TLS -> gunicorn (full stack)", "https://localhost:443/", "main"),
    ("static", "nginx TLS, return 200 (ceiling)", "https://localhost:8443/", "main"),
    ("waitress", "waitress alone (loopback TCP)", "http://127.0.0.1:8002/", "waitress"),
    ("waitress_stack", "nginx TLS -> waitress", "https://localhost:443/", "waitress"),
    ("apache_stack", "Apache TLS -> gunicorn", "https://localhost:443/", "apache"),
    ("apache_waitress", "Apache TLS -> waitress", "https://localhost:443/", "apache_waitress"),
]
# The alternatives' hosts: (index in bench/inventory, what site.yml gets on top of the
# inventory). Each is converged in the same run as the main host, so that all setups
# can be measured in the same interleaved rounds.
ALTERNATIVES = {
    "waitress": (1, {"flask_app_wsgi_server": "waitress"}),
    "apache": (2, {"flask_proxy": "apache"}),
    "apache_waitress": (3, {"flask_proxy": "apache", "flask_app_wsgi_server": "waitress"}),
}
# `--only alternatives`: the new setups and the two they are compared with.
ALTERNATIVE_SETUPS = ["gunicorn", "stack", "waitress", "waitress_stack", "apache_stack", "apache_waitress"]
# What the roles install with apt for this inventory (firewall off): the floor installs the same.
FLOOR_APT = ["python3-venv", "python3-packaging", "python3-apt", "python3-cryptography", "nginx"]
SSH_OPTS = ["-i", str(KEY), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=5", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]
START = time.monotonic()


def log(message):
    print(f"[{time.monotonic() - START:6.0f}s] {message}", flush=True)


def run(argv, timeout, **kwargs):
    """Run a command, bounded in time; fail with its output when it fails."""
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)
    if result.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, argv[:6]))} ... failed ({result.returncode}):\n"
                 f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result.stdout


class Hosts:
    """The bench hosts of bench/inventory, booted and removed by testbed/host.sh."""

    def __init__(self):
        inventory = yaml.safe_load((INVENTORY / "hosts.yml").read_text())
        hosts = inventory["all"]["children"]["webservers"]["hosts"]
        self.ports = {name: int(host["ansible_port"]) for name, host in hosts.items()}
        self.names = list(self.ports)
        self.main = self.names[0]

    def up(self, names):
        for name in names:
            run([ROOT / "testbed" / "host.sh", "up", name, "--ssh-port", str(self.ports[name])], 300)

    def down(self, names):
        run([ROOT / "testbed" / "host.sh", "down", *names], 120)

    def ssh(self, name, command, timeout=120, stdin=None):
        return run(["ssh", *SSH_OPTS, "-p", str(self.ports[name]), "root@127.0.0.1", command],
                   timeout, input=stdin)

    def put(self, name, path, dest):
        self.ssh(name, f"mkdir -p {Path(dest).parent} && cat >{dest} && chmod +x {dest}",
                 stdin=Path(path).read_text())


def mitogen_env():
    """The environment that turns on Mitogen's strategy (the opt-in the README describes)."""
    import ansible_mitogen  # pylint: disable=import-outside-toplevel
    plugins = Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"
    # The bench hosts are recreated for every run; Mitogen checks host keys itself.
    return {"ANSIBLE_STRATEGY_PLUGINS": str(plugins), "ANSIBLE_STRATEGY": "mitogen_linear",
            "ANSIBLE_HOST_KEY_CHECKING": "False"}


# The controller's CPU seconds (user + system, ansible-playbook and its workers) of the
# last playbook() run.
LAST_CPU = {"seconds": 0.0}


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def playbook(tag, path, limit, extra_vars=None, env=None):
    """Time one ansible-playbook run over SSH (pipelining, ControlPersist: ansible.cfg)."""
    logfile = WORK / "logs" / f"{tag}.log"
    logfile.parent.mkdir(parents=True, exist_ok=True)
    argv = ["ansible-playbook", "-i", str(INVENTORY), str(ROOT / path), "--limit", ",".join(limit)]
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    began, cpu = time.monotonic(), children_cpu()
    result = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False, cwd=ROOT,
                            env={**os.environ, **(env or {})})
    seconds = round(time.monotonic() - began, 1)
    LAST_CPU["seconds"] = round(children_cpu() - cpu, 1)
    logfile.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        sys.exit(f"bench: {path} failed; see {logfile}:\n{result.stdout[-3000:]}")
    changed = sum(int(n) for n in re.findall(r"^\S+\s+: ok=\d+\s+changed=(\d+)", result.stdout, re.M))
    log(f"{tag}: {seconds} s, changed={changed}, controller CPU {LAST_CPU['seconds']} s ({logfile.relative_to(ROOT)})")
    return seconds, changed


def fresh_app():
    """The bench's own copy of the hello-world app, which the code-only deploy edits."""
    app = WORK / "app"
    shutil.rmtree(app, ignore_errors=True)
    shutil.copytree(ROOT / "examples" / "hello", app)
    (app / "static").mkdir(exist_ok=True)  # for the tuning's static-file figures
    (app / "static" / "hello.txt").write_text("Hello, World!\n")
    return app


def app_name():
    return yaml.safe_load((INVENTORY / "group_vars" / "webservers.yml").read_text())["flask_app_name"]


def by_hand(hosts, group, app):
    """The floor: the play's apt and pip installs by hand (floor.sh) on the bare hosts of
    group, all at once. Returns the wall time and each host's apt and pip seconds."""
    gunicorn_version = yaml.safe_load((ROOT / "roles/gunicorn/defaults/main.yml").read_text())["gunicorn_version"]
    for name in group:
        hosts.put(name, BENCH / "floor.sh", "/root/bench/floor.sh")
        hosts.put(name, app / "requirements.txt", "/root/bench/requirements.txt")
    log(f"floor: apt and pip installs by hand on {len(group)} bare host(s) at once")
    command = f"/root/bench/floor.sh {gunicorn_version} /root/bench/requirements.txt " + " ".join(FLOOR_APT)
    began = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(len(group)) as pool:
        outputs = list(pool.map(lambda name: hosts.ssh(name, command, timeout=600), group))
    total = round(time.monotonic() - began, 1)
    each = [{k: float(v) for k, v in (line.split() for line in lines.splitlines())} for lines in outputs]
    log(f"floor: {total} s; {each}")
    return total, each


def provisioning(hosts, app):
    main = hosts.main
    out = {}
    hosts.down(hosts.names)
    hosts.up([main])
    total, each = by_hand(hosts, [main], app)
    out["floor"] = {**each[0], "total_s": total}

    hosts.down([main])
    hosts.up([main])
    out["fresh_converge_s"], _ = playbook("converge-fresh", "site.yml", [main])
    out["fresh_converge_cpu_s"] = LAST_CPU["seconds"]
    out["second_run_s"], out["second_run_changed"] = playbook("converge-again", "site.yml", [main])
    out["converge_floor_ratio"] = round(out["fresh_converge_s"] / out["floor"]["total_s"], 2)

    # Ansible's own floor: one module call over the same SSH settings, the median of 3.
    out["ping_s"] = median_of(3, lambda: ping(main))
    log(f"ping floor: {out['ping_s']} s")
    again = [out["second_run_s"]] + [playbook(f"converge-again-{n}", "site.yml", [main])[0] for n in (2, 3)]
    out["idempotent_s"] = round(statistics.median(again), 1)

    def deploy(tag, extra_vars=None, env=None):
        with open(app / "two.py", "a", encoding="utf-8") as code:  # a new release, same answer
            code.write(f"\n# bench deploy {datetime.datetime.now(datetime.timezone.utc).isoformat()}\n")
        return playbook(tag, "playbooks/deploy.yml", [main], extra_vars, env)[0]

    # A code-only deploy, median of 3, with the live release's virtualenv copied (the
    # default) and, as the lever's baseline, built afresh each time.
    out["deploy_s"] = round(statistics.median(deploy(f"deploy-{n}") for n in (1, 2, 3)), 1)
    out["deploy_fresh_venv_s"] = round(statistics.median(
        deploy(f"deploy-fresh-venv-{n}", {"flask_app_venv_reuse": False}) for n in (1, 2, 3)), 1)
    # The opt-in lever: the same runs under Mitogen's strategy, each median of 3.
    mitogen = mitogen_env()
    out["idempotent_mitogen_s"] = round(statistics.median(
        playbook(f"converge-again-mitogen-{n}", "site.yml", [main], env=mitogen)[0] for n in (1, 2, 3)), 1)
    out["deploy_mitogen_s"] = round(statistics.median(
        deploy(f"deploy-mitogen-{n}", env=mitogen) for n in (1, 2, 3)), 1)
    out["idempotent_mitogen_ping_ratio"] = round(out["idempotent_mitogen_s"] / out["ping_s"], 1)
    out["deploy_mitogen_ping_ratio"] = round(out["deploy_mitogen_s"] / out["ping_s"], 1)
    out["deploy_ping_ratio"] = round(out["deploy_s"] / out["ping_s"], 1)
    out["deploy_fresh_venv_ping_ratio"] = round(out["deploy_fresh_venv_s"] / out["ping_s"], 1)
    out["idempotent_ping_ratio"] = round(out["idempotent_s"] / out["ping_s"], 1)
    return out


def ping(name):
    """Seconds of one `ansible -m ansible.builtin.ping` of a bench host."""
    began = time.monotonic()
    result = subprocess.run(["ansible", "-i", str(INVENTORY), name, "-m", "ansible.builtin.ping"],
                            capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(f"bench: ansible ping of {name} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return time.monotonic() - began


def median_of(count, measure):
    return round(statistics.median(measure() for _ in range(count)), 2)


def host_info(hosts, app):
    """Versions and the settings the stack runs with, read on the bench host."""
    script = f"""
        conf=$(systemctl show -p ExecStart --value gunicorn-{app}.service | sed -n 's/.*--config \\([^ ]*\\) .*/\\1/p')
        gunicorn=$(systemctl show -p ExecStart --value gunicorn-{app}.service | sed -n 's/.*argv\\[\\]=\\([^ ]*\\) .*/\\1/p')
        echo "gunicorn_settings=$(grep -E '^(workers|worker_class|threads|keepalive) ' "$conf" | tr '\\n' ';')"
        echo "gunicorn=$($gunicorn --version 2>&1)"
        echo "flask=$($(dirname "$gunicorn")/python -c 'import flask, importlib.metadata as m; print(m.version("flask"))')"
        echo "nginx=$(nginx -v 2>&1)"
        echo "nginx_workers=$(ps -C nginx -o args= | grep -c 'worker process')"
        echo "wrk=$(wrk -v 2>&1 | head -1)"
        echo "host_cores=$(nproc)"
        echo "host_os=$(. /etc/os-release && echo "$PRETTY_NAME")"
        # TLS resumption as a browser gets it: a second connection offers the first one's session.
        tls="openssl s_client -connect localhost:443 -servername localhost -ign_eof"
        req='GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
        printf "$req" | $tls -sess_out /root/bench/tls.session >/dev/null 2>&1
        echo "tls_session_resumed=$(printf "$req" | $tls -sess_in /root/bench/tls.session 2>/dev/null | grep -c '^Reused')"
    """
    return dict(line.split("=", 1) for line in hosts.ssh(hosts.main, script).splitlines() if "=" in line)


def alternatives_info(hosts, app, where):
    """Versions and settings of the alternatives, read on their hosts."""
    out = {}
    if "waitress" in where:
        script = f"""
            read -r python launcher _ conf <<<"$(systemctl show -p ExecStart --value waitress-{app}.service |
                sed -n 's/.*argv\\[\\]=\\([^;]*\\) ;.*/\\1/p')"
            echo "waitress=$($python -c 'import importlib.metadata as m; print(m.version("waitress"))')"
            echo "waitress_settings=$($python -c 'import json, sys; a = json.load(open(sys.argv[1]))["adjustments"]; \
                print(";".join(f"{{k}} = {{a[k]}}" for k in ("threads", "connection_limit", "backlog")))' "$conf")"
        """
        out.update(line.split("=", 1) for line in hosts.ssh(where["waitress"], script).splitlines() if "=" in line)
    apache = where.get("apache") or where.get("apache_waitress")
    if apache:
        script = """
            echo "apache=$(apache2ctl -v 2>/dev/null | sed -n 's/^Server version: //p')"
            echo "apache_mpm=$(apache2ctl -V 2>/dev/null | sed -n 's/^Server MPM: *//p')"
            echo "apache_disablereuse=$(grep -rhoi 'disablereuse=[a-z]*' /etc/apache2/sites-enabled/ | head -1)"
            echo "apache_mpm_settings=$(cat /etc/apache2/mods-enabled/mpm_event.conf /etc/apache2/conf-enabled/*.conf \
                2>/dev/null | grep -iE '^[[:space:]]*(StartServers|ServerLimit|ThreadLimit|ThreadsPerChild|MinSpareThreads|MaxSpareThreads|MaxRequestWorkers|AsyncRequestWorkerFactor|MaxConnectionsPerChild|KeepAliveTimeout|MaxKeepAliveRequests)' \
                | awk '{print $1" "$2}' | paste -sd';' -)"
        """
        out.update(line.split("=", 1) for line in hosts.ssh(apache, script).splitlines() if "=" in line)
    return out


def wrk(hosts, host, url, concurrency, seconds):
    threads = 1 if concurrency == 1 else 2
    line = hosts.ssh(host, f"wrk -t{threads} -c{concurrency} -d{seconds}s --timeout 2s "
                     f"-s /root/bench/report.lua {url}", timeout=seconds + 60).strip().splitlines()[-1]
    raw = json.loads(line)
    errors = {k: raw[k] for k in ("connect", "read", "write", "timeout", "status")}
    return {
        "concurrency": concurrency,
        "requests": raw["requests"],
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "errors": errors,
        "error_total": sum(errors.values()),
    }


def median(samples, concurrency):
    """One point from several wrk runs: the median of each figure, the errors of all runs."""
    middle = len(samples) // 2
    point = {key: sorted(s[key] for s in samples)[middle] for key in ("rps", "p50_ms", "p99_ms")}
    errors = {key: sum(s["errors"][key] for s in samples) for key in samples[0]["errors"]}
    point.update(concurrency=concurrency, requests=sum(s["requests"] for s in samples), errors=errors,
                 error_total=sum(errors.values()), runs=samples)
    return point


LISTENERS = ("devserver", "gunicorn", "waitress")  # started by hostside.sh for the bench


def alternative_hosts(hosts, needed):
    """Boot and converge the hosts of the alternatives `needed`, all in one go."""
    names = {alt: hosts.names[ALTERNATIVES[alt][0]] for alt in needed}
    hosts.up(list(names.values()))
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(names) or 1) as pool:
        runs = [pool.submit(playbook, f"converge-{alt}", "site.yml", [name], ALTERNATIVES[alt][1])
                for alt, name in names.items()]
        for future in runs:
            future.result()
    return names


def serving(hosts, app, seconds, setups, runs=3):
    """Every setup listens at once (the idle ones cost nothing); the runs go round robin,
    setup after setup at each concurrency, `runs` rounds. A slow spell of the shared
    machine then hits every setup alike, so the ratios between them hold; each point is
    the median of its rounds. The alternatives listen on hosts of their own, booted and
    converged here, so they take part in the same rounds."""
    chosen = [setup for setup in SETUPS if setup[0] in setups]
    where = {"main": hosts.main}
    where.update(alternative_hosts(hosts, sorted({host for *_, host in chosen} - {"main"})))
    for host in sorted({where[host] for *_, host in chosen}):
        for name in ("hostside.sh", "report.lua"):
            hosts.put(host, BENCH / name, f"/root/bench/{name}")
        hosts.ssh(host, f"/root/bench/hostside.sh setup {app}", timeout=300)
    for key, _, url, host in chosen:
        if key in LISTENERS:
            hosts.ssh(where[host], f"/root/bench/hostside.sh start {key} {app}")
        hosts.ssh(where[host], f"wrk -t2 -c16 -d2s {url} >/dev/null", timeout=60)  # warm-up, not recorded
    samples = {key: {c: [] for c in CONCURRENCY} for key, *_ in chosen}
    for number in range(runs):
        log(f"serving round {number + 1} of {runs}")
        for concurrency in CONCURRENCY:
            for key, _, url, host in chosen:
                samples[key][concurrency].append(wrk(hosts, where[host], url, concurrency, seconds))
    for key, _, _, host in chosen:
        if key in LISTENERS:
            hosts.ssh(where[host], f"/root/bench/hostside.sh stop {key}")
    out = []
    for key, label, url, host in chosen:
        points = [median(samples[key][c], c) for c in CONCURRENCY]
        for point in points:
            log(f"{key:14} c={point['concurrency']:<3} {point['rps']:8.0f} req/s  p50 {point['p50_ms']:7.2f} ms"
                f"  p99 {point['p99_ms']:8.2f} ms  errors {point['error_total']}")
        out.append({"key": key, "label": label, "url": url, "host": where[host], "points": points})
    return out, where


def scale(hosts, fresh_one, app):
    """Converge time of 1, 2 and 4 bare hosts at once (forks in ansible.cfg), each against
    the same installs by hand on as many bare hosts at once: the machine's own scaling."""
    out = [{"hosts": 1, "seconds": fresh_one[0], "controller_cpu_s": fresh_one[1],
            "by_hand_s": fresh_one[2]}] if fresh_one else []
    for count in (2, 4):
        group = hosts.names[:count] if count == len(hosts.names) else hosts.names[1:count + 1]
        hosts.down(hosts.names)
        hosts.up(group)
        by_hand_s, _ = by_hand(hosts, group, app)
        hosts.down(group)
        hosts.up(group)
        seconds, _ = playbook(f"converge-{count}-hosts", "site.yml", group)
        out.append({"hosts": count, "seconds": seconds, "controller_cpu_s": LAST_CPU["seconds"],
                    "by_hand_s": by_hand_s})
    return out


def machine():
    cpu = re.search(r"^model name\s*:\s*(.*)$", Path("/proc/cpuinfo").read_text(), re.M)
    mem = re.search(r"^MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text(), re.M)
    return {
        "cpu": cpu.group(1) if cpu else platform.processor(),
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem.group(1)) / 2**20, 1) if mem else None,
        "kernel": platform.release(),
        "os": Path("/etc/os-release").read_text().split('PRETTY_NAME="')[1].split('"')[0],
        "load_average_at_start": round(os.getloadavg()[0], 1),
    }


def point(result, key, concurrency):
    for setup in result.get("serving", []):
        if setup["key"] == key:
            return next(p for p in setup["points"] if p["concurrency"] == concurrency)
    return None


def goals(result):
    out = []
    stack, dev, alone = (point(result, k, 64) for k in ("stack", "devserver", "gunicorn"))
    if stack and dev:
        out.append(("full stack c=64 vs development server, req/s", stack["rps"] / dev["rps"], ">= 3x",
                    stack["rps"] >= 3 * dev["rps"]))
    if stack:
        out.append(("full stack c=64 errors", stack["error_total"], "0", stack["error_total"] == 0))
    if stack and alone:
        out.append(("full stack c=64 vs gunicorn alone, req/s", stack["rps"] / alone["rps"], ">= 0.8",
                    stack["rps"] >= 0.8 * alone["rps"]))
    if stack:
        out.append(("full stack c=64 p99 (ms)", stack["p99_ms"], "< 50", stack["p99_ms"] < 50))
    # The alternatives (issue 34): no errors of any kind for any setup at any concurrency;
    # Apache in front of gunicorn at least 0.8x nginx in front of it; waitress behind nginx
    # with a p99 within 2x of gunicorn's.
    for setup in result.get("serving", []):
        errors = sum(p["error_total"] for p in setup["points"])
        out.append((f"{setup['label']}: errors at every concurrency", errors, "0", errors == 0))
    for concurrency in (16, 64, 256):
        apache, nginx = point(result, "apache_stack", concurrency), point(result, "stack", concurrency)
        if apache and nginx:
            out.append((f"Apache -> gunicorn vs nginx -> gunicorn c={concurrency}, req/s", apache["rps"] / nginx["rps"],
                        ">= 0.8", apache["rps"] >= 0.8 * nginx["rps"]))
    behind, stack64 = point(result, "waitress_stack", 64), point(result, "stack", 64)
    if behind and stack64:
        out.append(("nginx -> waitress p99 vs nginx -> gunicorn p99, c=64", behind["p99_ms"] / stack64["p99_ms"],
                    "<= 2x", behind["p99_ms"] <= 2 * stack64["p99_ms"]))
    prov = result.get("provisioning", {})
    if "idempotent_ping_ratio" in prov:
        out.append(("idempotent site.yml / ping floor", prov["idempotent_ping_ratio"], "<= 8x",
                    prov["idempotent_ping_ratio"] <= 8))
        out.append(("code-only deploy / ping floor", prov["deploy_ping_ratio"], "<= 8x",
                    prov["deploy_ping_ratio"] <= 8))
    if "idempotent_mitogen_ping_ratio" in prov:
        out.append(("with Mitogen (opt-in): idempotent site.yml / ping floor", prov["idempotent_mitogen_ping_ratio"],
                    "<= 8x", prov["idempotent_mitogen_ping_ratio"] <= 8))
        out.append(("with Mitogen (opt-in): code-only deploy / ping floor", prov["deploy_mitogen_ping_ratio"],
                    "<= 8x", prov["deploy_mitogen_ping_ratio"] <= 8))
    scale_by = {s["hosts"]: s["seconds"] for s in result.get("scale", [])}
    if 1 in scale_by and 4 in scale_by:
        out.append(("fresh converge, 4 hosts / 1 host", scale_by[4] / scale_by[1], "<= 1.5x",
                    scale_by[4] <= 1.5 * scale_by[1]))
    if "converge_floor_ratio" in prov:
        out.append(("fresh converge / by-hand floor", prov["converge_floor_ratio"], "<= 2x",
                    prov["converge_floor_ratio"] <= 2))
    return [{"goal": g, "value": round(v, 2), "target": t, "met": m} for g, v, t, m in out]


def ratios(result):
    """Each setup's requests/s as a share of the full stack's, at each concurrency."""
    base = next((s for s in result["serving"] if s["key"] == "stack"), None)
    if not base:
        return []
    lines = ["### Against the full stack (nginx TLS -> gunicorn): requests/s, and p99 latency, as ratios", "",
             "| setup | " + " | ".join(f"c={c}" for c in CONCURRENCY) + " |",
             "|---|" + "---:|" * len(CONCURRENCY)]
    by_c = {p["concurrency"]: p for p in base["points"]}
    for setup in result["serving"]:
        cells = []
        for p in setup["points"]:
            b = by_c[p["concurrency"]]
            cells.append(f"{p['rps'] / b['rps']:.2f}x, p99 {p['p99_ms'] / b['p99_ms']:.2f}x"
                         + (f" ({p['error_total']} errors)" if p["error_total"] else ""))
        lines.append(f"| {setup['label']} | " + " | ".join(cells) + " |")
    return lines + [""]


def markdown(result):
    m = result["machine"]
    info = result.get("host", {})
    lines = [
        "# Benchmark results", "",
        f"Run {result['date']} in {result['duration_s']:.0f} s on {m['cpu']}, {m['cores']} cores, "
        f"{m['memory_gib']} GiB, {m['os']}, kernel {m['kernel']} (load average {m['load_average_at_start']} "
        f"at the start). Hosts: podman containers on that machine running Debian {result.get('hosts_debian', '?')} "
        f"({info.get('host_os', '?')}), sharing its cores.", "",
        f"The machine is shared: other engineers ran their tests on the same {m['cores']} cores during the run "
        f"(load average {m['load_average_at_start']} at the start, {result.get('load_average_at_end', '?')} at the "
        "end). Absolute figures move with that load; compare setups only as ratios within this run.", "",
    ]
    if result.get("serving"):
        lines += [
            f"## Serving: `wrk` on the bench host, keep-alive on, timeout 2 s; {result.get('runs_per_point', 1)} "
            f"rounds of {result['seconds_per_point']} s runs, setup after setup; each point is the median of its "
            "rounds (errors: all rounds)", "",
            f"Stack: {info.get('gunicorn_settings', '?')} {info.get('gunicorn', '')}, Flask "
            f"{info.get('flask', '?')}, {info.get('nginx', '?')} with {info.get('nginx_workers', '?')} workers, "
            f"{info.get('wrk', '')}. A second TLS connection resumes the first one's session: "
            f"{'yes' if info.get('tls_session_resumed', '0') != '0' else '**no**'}.", "",
        ]
        alt = result.get("alternatives", {})
        if alt:
            lines += [f"Alternatives, each on a bench host of its own ({', '.join(f'{k}: {v}' for k, v in alt['hosts'].items())}"
                      f"): waitress {alt.get('waitress', '?')} ({alt.get('waitress_settings', '?')}); "
                      f"{alt.get('apache', '?')}, MPM {alt.get('apache_mpm', '?')} ({alt.get('apache_mpm_settings', '?')}), "
                      f"{alt.get('apache_disablereuse', '?')}.", ""]
        lines += [
            "| setup | concurrency | requests/s | p50 ms | p99 ms | errors (connect/read/write/timeout/status) |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for setup in result["serving"]:
            for p in setup["points"]:
                e = p["errors"]
                lines.append(f"| {setup['label']} | {p['concurrency']} | {p['rps']:,.0f} | {p['p50_ms']:.2f} | "
                             f"{p['p99_ms']:.2f} | {p['error_total']} ({e['connect']}/{e['read']}/{e['write']}/"
                             f"{e['timeout']}/{e['status']}) |")
        lines += ["", "![requests/s and p99 latency against concurrency](bench.png)", ""]
        lines += ratios(result)
    prov = result.get("provisioning")
    if prov:
        floor = prov["floor"]
        lines += [
            "## Provisioning, over SSH with pipelining and ControlPersist", "",
            "| step | time |", "|---|---:|",
            f"| floor: the same apt and pip installs by hand (apt {floor['apt']} s, pip {floor['pip']} s) | "
            f"{floor['total_s']} s |",
            f"| fresh converge of a bare host | {prov['fresh_converge_s']} s |",
            f"| converge / floor | {prov['converge_floor_ratio']}x |",
            f"| second run (changed={prov['second_run_changed']}) | {prov['second_run_s']} s |",
            f"| floor: `ansible -m ping`, median of 3 | {prov['ping_s']} s |",
            f"| idempotent site.yml, median of 3 | {prov['idempotent_s']} s ({prov['idempotent_ping_ratio']}x ping) |",
            f"| code-only deploy, live virtualenv copied, median of 3 | {prov['deploy_s']} s "
            f"({prov['deploy_ping_ratio']}x ping) |",
            f"| code-only deploy, virtualenv built afresh (flask_app_venv_reuse: false), median of 3 | "
            f"{prov['deploy_fresh_venv_s']} s ({prov['deploy_fresh_venv_ping_ratio']}x ping) |",
        ]
        if "idempotent_mitogen_s" in prov:
            lines += [
                f"| idempotent site.yml with Mitogen's strategy (opt-in), median of 3 | {prov['idempotent_mitogen_s']} s "
                f"({prov['idempotent_mitogen_ping_ratio']}x ping) |",
                f"| code-only deploy with Mitogen's strategy (opt-in), median of 3 | {prov['deploy_mitogen_s']} s "
                f"({prov['deploy_mitogen_ping_ratio']}x ping) |",
            ]
        lines.append("")
    if result.get("scale"):
        cores = result["machine"]["cores"]
        lines += ["## Scale: fresh converge of bare hosts in one run", "",
                  f"The controller's CPU is ansible-playbook and its workers (user + system). The hosts' own "
                  f"installs run on the same {cores} cores, so the more hosts, the more each waits for a core.", "",
                  "| hosts | time | per host | controller CPU |", "|---:|---:|---:|---:|"]
        lines += [f"| {s['hosts']} | {s['seconds']} s | {s['seconds'] / s['hosts']:.1f} s | "
                  f"{s.get('controller_cpu_s', '?')} s |" for s in result["scale"]]
        lines.append("")
        if all("by_hand_s" in s for s in result["scale"]):
            one = result["scale"][0]
            lines += ["The same apt and pip installs by hand (bench/floor.sh) on as many bare hosts at once: how "
                      "the machine itself scales, without Ansible.", "",
                      "| hosts | by hand | by hand / 1 host | converge / 1 host | converge / by hand |",
                      "|---:|---:|---:|---:|---:|"]
            lines += [f"| {s['hosts']} | {s['by_hand_s']} s | {s['by_hand_s'] / one['by_hand_s']:.2f}x | "
                      f"{s['seconds'] / one['seconds']:.2f}x | {s['seconds'] / s['by_hand_s']:.2f}x |"
                      for s in result["scale"]]
            lines.append("")
    if result.get("goals"):
        lines += ["## Goals", "", "| goal | figure | target | met |", "|---|---:|---:|---|"]
        lines += [f"| {g['goal']} | {g['value']} | {g['target']} | {'yes' if g['met'] else '**no**'} |"
                  for g in result["goals"]]
        lines.append("")
    return "\n".join(lines)


def chart(json_path, png_path):
    venv = BENCH / ".venv"
    requirements = BENCH / "requirements.txt"
    stamp = venv / "requirements.txt"
    if not stamp.exists() or stamp.read_text() != requirements.read_text():
        log("installing the chart's tools into bench/.venv")
        run(["/usr/bin/python3", "-m", "venv", str(venv)], 120)
        run([venv / "bin" / "pip", "install", "-q", "-r", requirements], 600)
        shutil.copy(requirements, stamp)
    run([venv / "bin" / "python", BENCH / "chart.py", json_path, png_path], 120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of one wrk run (default 5)")
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per point, medians reported (default 3)")
    parser.add_argument("--only", choices=["serving", "provisioning", "alternatives"],
                        help="one part (provisioning includes the 1/2/4-host scale; alternatives: serving, "
                             "only gunicorn alone, the full stack and the alternatives); results go to bench/.work/")
    parser.add_argument("--setups", default=",".join(k for k, *_ in SETUPS), help="serving setups to run")
    parser.add_argument("--keep", action="store_true", help="leave the bench hosts running")
    args = parser.parse_args()
    if args.only == "alternatives":
        args.only, args.setups = "serving", ",".join(ALTERNATIVE_SETUPS)

    os.chdir(ROOT)
    WORK.mkdir(exist_ok=True)
    hosts = Hosts()
    app = app_name()
    code = fresh_app()
    result = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": machine(), "hosts_debian": os.environ.get("DEBIAN", "13"),
              "seconds_per_point": args.seconds, "runs_per_point": args.runs}
    log(f"bench hosts run Debian {result['hosts_debian']} (make bench DEBIAN=12 for Debian 12)")
    fresh_one = None
    if args.only != "serving":
        result["provisioning"] = provisioning(hosts, code)
        prov = result["provisioning"]
        fresh_one = prov["fresh_converge_s"], prov["fresh_converge_cpu_s"], prov["floor"]["total_s"]
    else:
        hosts.up([hosts.main])
        playbook("converge", "site.yml", [hosts.main])
    if args.only != "provisioning":
        log(f"serving: {args.runs} x {args.seconds} s per point at concurrency {CONCURRENCY}")
        result["serving"], where = serving(hosts, app, args.seconds, args.setups.split(","), args.runs)
        result["host"] = host_info(hosts, app)
        alternatives = {alt: name for alt, name in where.items() if alt != "main"}
        if alternatives:
            result["alternatives"] = {"hosts": alternatives, **alternatives_info(hosts, app, alternatives)}
    if args.only in (None, "provisioning"):
        result["scale"] = scale(hosts, fresh_one, code)
    if not args.keep:
        hosts.down(hosts.names)
    result["load_average_at_end"] = round(os.getloadavg()[0], 1)
    result["goals"] = goals(result)
    result["duration_s"] = round(time.monotonic() - START)

    out = RESULTS if args.only is None else WORK
    out.mkdir(exist_ok=True)
    (out / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "bench.md").write_text(markdown(result))
    if result.get("serving"):
        chart(out / "bench.json", out / "bench.png")
    print()
    print(markdown(result))
    log(f"wrote {', '.join(str((out / n).relative_to(ROOT)) for n in ('bench.json', 'bench.md', 'bench.png'))}")


if __name__ == "__main__":
    main()
