"""Read-only audit of one host for Flask development servers and debuggers.

Usage: python3 - [--max-ports N] [--timeout SECONDS] [--host-header NAME] < flask_audit.py
Reads /proc (command lines, the debug variables of each environment, listening TCP
sockets and the processes holding them) and sends a few GET requests to local
listening ports, on loopback or on the host's own bound addresses only. Writes nothing;
prints one JSON object. Prints no environment value except FLASK_DEBUG, FLASK_ENV and
WERKZEUG_DEBUG_PIN=off; of a secret key variable it prints only its name and what is
wrong with it (too short, or publicly known: the role sends the collection's
module_utils/secret_keys.py and the SHA-256 prefixes of flask-unsign's wordlist, as
PUBLIC_KEY_DIGESTS, before this text, and module_utils/devserver.py's text as
DEVSERVER_SOURCE).
Runs on Python 3.6 and later.
"""
import argparse
import http.client
import ipaddress
import json
import os
import pwd
import re
import socket
import ssl
import sys
import types

# The collection's module_utils/secret_keys.py, which the role sends before this text.
from flaskops_secret_keys import SECRET_KEY_MIN_BYTES, public_key_digests, secret_key_weakness

# The collection's module_utils/devserver.py (reading /proc's sockets and their holders,
# as flask_devserver_info does), which the role sends as DEVSERVER_SOURCE before this text.
devserver = types.ModuleType("flaskops_devserver")
exec(compile(globals().get("DEVSERVER_SOURCE", ""), "devserver.py", "exec"), devserver.__dict__)

DEBUG_VARS = ("FLASK_DEBUG", "FLASK_ENV", "WERKZEUG_DEBUG_PIN")
# Variables that hold a Flask secret key: SECRET_KEY, FLASK_SECRET_KEY, MYAPP_SECRET_KEY.
SECRET_KEY_VAR = re.compile(r"(^|_)SECRET_KEY$")
PUBLIC_KEYS = public_key_digests(globals().get("PUBLIC_KEY_DIGESTS", ()))
# Set by Werkzeug's reloader in the process that serves.
RELOADER_VARS = ("WERKZEUG_RUN_MAIN", "WERKZEUG_SERVER_FD")
PYTHON_SERVERS = {"gunicorn", "uwsgi", "uvicorn", "hypercorn", "waitress-serve", "daphne", "flask"}
DEBUGGER_JS = "/?__debugger__=yes&cmd=resource&f=debugger.js"
SECRET_WORD = re.compile(r"pass|secret|token|key|auth|credential", re.I)
ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def is_python(name):
    return re.match(r"python[0-9.]*$", name) is not None


def shown_command(argv, limit=100):
    """The command line with values that may be secrets replaced by ***, shortened."""
    shown, hide_next = [], False
    for arg in argv:
        if hide_next:
            shown.append("***")
            hide_next = False
        elif ENV_ASSIGNMENT.match(arg):  # NAME=value, as given to env or gunicorn -e
            shown.append(arg.split("=", 1)[0] + "=***")
        elif arg.startswith("-") and SECRET_WORD.search(arg.split("=", 1)[0]):
            hide_next = "=" not in arg
            shown.append(arg.split("=", 1)[0] + ("=***" if "=" in arg else ""))
        else:
            shown.append(arg)
    text = " ".join(shown)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def dev_server_reasons(argv, env):
    reasons = []
    names = [os.path.basename(arg) for arg in argv]
    for i, name in enumerate(names):
        launched = i == 0 or (i == 1 and is_python(names[0])) or names[i - 1] == "-m"
        if name == "flask" and launched and "run" in argv[i + 1:]:
            reasons.append("flask run")
            break
    if "-c" in argv[:-1]:
        code = argv[argv.index("-c") + 1]
        if "run_simple(" in code or ".run(" in code:
            reasons.append("app.run() in python -c")
    if env.get("WERKZEUG_RUN_MAIN") == "true" or "WERKZEUG_SERVER_FD" in env:
        reasons.append("Werkzeug reloader environment")
    return reasons


def debug_settings(env):
    """FLASK_DEBUG as Flask reads it (anything but empty, 0, false, no) and FLASK_ENV=development."""
    found = []
    value = env.get("FLASK_DEBUG", "")
    if value and value.lower() not in ("0", "false", "no"):
        found.append("FLASK_DEBUG=" + (value if re.match(r"^[\w.-]{1,16}$", value) else "<set>"))
    if env.get("FLASK_ENV") == "development":
        found.append("FLASK_ENV=development")
    # The debugger without its PIN: anyone who reaches it runs code.
    if env.get("WERKZEUG_DEBUG_PIN", "").lower() == "off":
        found.append("WERKZEUG_DEBUG_PIN=off")
    return found


def weak_secret_keys(secrets):
    """Names of secret key variables that are too short or publicly known, with the reason."""
    found = []
    for name, value in sorted(secrets.items()):
        weakness = secret_key_weakness(value.encode("utf-8", "surrogateescape"), PUBLIC_KEYS)
        if weakness == "short":
            found.append("%s shorter than %d bytes" % (name, SECRET_KEY_MIN_BYTES))
        elif weakness == "public":
            found.append("%s publicly known" % name)
    return found


def unit_of(pid):
    text = (read("/proc/%d/cgroup" % pid) or b"").decode("utf-8", "replace")
    units = re.findall(r"/([^/\n]+\.(?:service|scope))(?=/|$)", text, re.M)
    return units[-1] if units else ""


def processes():
    """pid -> facts about it; only the debug and reloader variables of each environment are kept."""
    found, unreadable = {}, 0
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        pid = int(name)
        raw = read("/proc/%d/cmdline" % pid)
        if not raw:  # kernel thread, or gone
            continue
        argv = [arg.decode("utf-8", "replace") for arg in raw.rstrip(b"\0").split(b"\0")]
        environ = read("/proc/%d/environ" % pid)
        env, secrets = {}, {}
        if environ is None:
            unreadable += 1
        for item in (environ or b"").split(b"\0"):
            key, dummy, value = item.decode("utf-8", "surrogateescape").partition("=")
            if key in DEBUG_VARS + RELOADER_VARS:
                env[key] = value
            elif SECRET_KEY_VAR.search(key):
                secrets[key] = value
        try:
            exe = os.path.basename(os.readlink("/proc/%d/exe" % pid)).replace(" (deleted)", "")
        except OSError:
            exe = ""
        try:
            user = pwd.getpwuid(os.stat("/proc/%d" % pid).st_uid).pw_name
        except (OSError, KeyError):
            user = "?"
        comm = (read("/proc/%d/comm" % pid) or b"?").decode("utf-8", "replace").strip()
        argv0 = os.path.basename(argv[0].split(" ")[0])
        found[pid] = {
            "pid": pid,
            "user": user,
            "name": comm,
            "command": shown_command(argv),
            "unit": unit_of(pid),
            "python": is_python(exe) or is_python(argv0) or argv0 in PYTHON_SERVERS,
            "dev_server": dev_server_reasons(argv, env),
            "debug": debug_settings(env),
            "weak_keys": weak_secret_keys(secrets),
        }
    return found, unreadable


def listening_sockets():
    found = []
    for inode, address, port in devserver.listening():
        address = ipaddress.ip_address(address.strip("[]"))
        found.append({"address": address, "port": port, "inode": inode})
    return found


def socket_holders(inodes):
    """{inode: set of pids} of the processes holding the sockets ``inodes``."""
    holders = {}
    for pid, held in devserver.socket_holders(inodes).items():
        for inode in held:
            holders.setdefault(inode, set()).add(pid)
    return holders


def probe_target(address):
    """Where to reach a listener without leaving the host."""
    if address.is_unspecified:
        return "127.0.0.1" if address.version == 4 else "::1"
    return str(address)


def request(target, port, scheme, path, args):
    raw = socket.create_connection((target, port), timeout=args.timeout)
    try:
        if scheme == "https":
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # any certificate: we ask what it serves, not who it is
            raw = context.wrap_socket(raw, server_hostname=args.host_header)
        conn = http.client.HTTPConnection(target, port, timeout=args.timeout)
        conn.sock = raw
        conn.request("GET", path, headers={"Host": args.host_header, "User-Agent": "flask-audit", "Connection": "close"})
        response = conn.getresponse()
        body = response.read(65536)
        return {
            "status": response.status,
            "type": response.getheader("Content-Type", ""),
            "server": (response.getheader("Server", "") or "")[:40],
            "body": body,
        }
    finally:
        raw.close()


def attempt(target, port, scheme, path, args):
    try:
        return request(target, port, scheme, path, args)
    except (OSError, http.client.HTTPException, ValueError):
        return None


def probe(target, port, args):
    # Plain HTTP first: a TLS port answers it with an alert or a 400, and only then
    # do we try TLS, so a plain port never sits waiting for a handshake to end.
    scheme, first = "http", attempt(target, port, "http", DEBUGGER_JS, args)
    if first is None or first["status"] == 400:
        tls = attempt(target, port, "https", DEBUGGER_JS, args)
        if tls is not None:
            scheme, first = "https", tls
    result = {"port": port, "target": target, "scheme": None, "debugger_status": None,
              "console_status": None, "server": "", "debugger_js": False, "console": False}
    if first is None:
        return result
    console = attempt(target, port, scheme, "/console", args)
    result.update(scheme=scheme, debugger_status=first["status"], server=first["server"])
    result["debugger_js"] = first["status"] == 200 and "javascript" in first["type"].lower()
    if console is not None:
        result["console_status"] = console["status"]
        result["console"] = console["status"] == 200 and (b"__debugger__" in console["body"] or b"Werkzeug" in console["body"])
    return result


def pid_list(pids):
    return ",".join(map(str, pids)) or "?"


def listener_findings(sockets, holders, procs):
    """Group listening sockets by port; report Python processes on non-loopback addresses."""
    ports, findings = {}, []
    for sock in sockets:
        pids = sorted(p for p in holders.get(sock["inode"], ()) if p in procs)
        python_pids = [p for p in pids if procs[p]["python"]]
        entry = ports.setdefault(sock["port"], {"pids": set(), "python": False, "targets": set()})
        entry["pids"].update(pids)
        entry["python"] = entry["python"] or bool(python_pids)
        entry["targets"].add(probe_target(sock["address"]))
        if python_pids and not sock["address"].is_loopback:
            where = ("[%s]:%d" if sock["address"].version == 6 else "%s:%d") % (sock["address"], sock["port"])
            findings.append({"kind": "public listener", "pids": python_pids, "where": where,
                             "detail": "Python process listening on a non-loopback address",
                             "summary": "Python listening on %s (pid %s)" % (where, pid_list(python_pids))})
    return ports, findings


def port_findings(ports, procs, args):
    """Probe ports held by Python first, then the rest, up to --max-ports."""
    order = sorted(ports, key=lambda port: (not ports[port]["python"], port))
    limit = max(args.max_ports, 0)
    results, findings = [], []
    for port in order[:limit]:
        pids = sorted(ports[port]["pids"])
        # Loopback before the host's own addresses, IPv4 before IPv6.
        target = sorted(ports[port]["targets"], key=lambda a: (not ipaddress.ip_address(a).is_loopback, ":" in a))[0]
        result = probe(target, port, args)
        result["held_by"] = ",".join(sorted({procs[p]["name"] for p in pids})) or "?"
        results.append(result)
        url = "%s://%s:%d" % (result["scheme"], "[%s]" % target if ":" in target else target, port)
        if result["server"].startswith("Werkzeug"):
            said = "answers on port %d as %s" % (port, result["server"])
            for pid in pids:
                procs[pid]["dev_server"].append(said)
            if not pids:  # holder unreadable: report the port itself
                findings.append({"kind": "dev server", "pids": [], "where": url, "detail": said,
                                 "summary": "development server at %s" % url})
        said = [text for flag, text in ((result["debugger_js"], "debugger.js returned JavaScript"),
                                        (result["console"], "/console answered with the Werkzeug console")) if flag]
        if said:
            findings.append({"kind": "debugger", "pids": pids, "where": url, "detail": "; ".join(said),
                             "summary": "debugger answers at %s (pid %s)" % (url, pid_list(pids))})
    return results, order[limit:], findings


def process_findings(procs):
    findings = []
    for pid, proc in sorted(procs.items()):
        where = proc["unit"] or proc["name"]
        if proc["dev_server"]:
            findings.append({"kind": "dev server", "pids": [pid], "where": where, "detail": "; ".join(proc["dev_server"]),
                             "summary": "development server pid %d (%s)" % (pid, where)})
        if proc["debug"]:
            findings.append({"kind": "debug env", "pids": [pid], "where": where, "detail": " ".join(proc["debug"]),
                             "summary": "%s in pid %d (%s)" % (" ".join(proc["debug"]), pid, where)})
        if proc["weak_keys"]:
            detail = "; ".join(proc["weak_keys"])
            findings.append({"kind": "weak key", "pids": [pid], "where": where, "detail": detail,
                             "summary": "weak secret key in pid %d (%s): %s" % (pid, where, detail)})
    return findings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-ports", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--host-header", default="localhost")
    args = parser.parse_args()

    procs, unreadable = processes()
    sockets = listening_sockets()
    holders = socket_holders({s["inode"] for s in sockets})
    ports, findings = listener_findings(sockets, holders, procs)
    results, not_probed, found = port_findings(ports, procs, args)
    findings += found + process_findings(procs)  # after the probes, which add dev server reasons

    rank = {"debugger": 0, "dev server": 1, "debug env": 2, "weak key": 3, "public listener": 4}
    findings.sort(key=lambda f: (rank[f["kind"]], f["pids"]))
    named = sorted({pid for finding in findings for pid in finding["pids"]})
    json.dump({
        "processes": len(procs),
        "python_processes": sum(1 for p in procs.values() if p["python"]),
        "unreadable": unreadable,
        "listening_ports": len(ports),
        "ports": results,
        "not_probed": not_probed,
        "findings": findings,
        "named": [{k: procs[pid][k] for k in ("pid", "user", "unit", "command")} for pid in named],
    }, sys.stdout)


if __name__ == "__main__":
    main()
