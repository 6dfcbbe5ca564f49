# The host facts this project's roles read, in one call and as the setup module names
# them: the distribution (its name, release, version), the logical CPU count, the memory
# in MiB (memtotal_mb) and the IPv6 addresses other than loopback; and the installed version of each proxy package
# (the proxy roles install a missing one and pick directives by version); and the WSGI
# servers' socket units in /etc/systemd/system (gunicorn-*.socket, waitress-*.socket),
# so that a server's absent tasks look no further on a host that has none of its units;
# and the units flask_processes wrote there, by app (each holds the line "# flask_processes
# unit of APP"; links are not read), for the role's lookup of units no longer listed; and
# the accounts of the names given as a JSON list in the first argument (the names the apps'
# users and groups would take), as the host's account databases answer, for flask_apps'
# check that none is another owner's. Prints one line of JSON.
import grp
import ipaddress
import json
import os
import pwd
import re
import stat
import subprocess
import sys

release = {}
for path in ("/etc/os-release", "/usr/lib/os-release"):
    if os.path.exists(path):
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                key, sep, value = line.strip().partition("=")
                if sep:
                    release[key] = value.strip("\"'")
        break
name = release.get("ID", "unknown")
version = release.get("VERSION_ID", "")
if name == "debian" and os.path.exists("/etc/debian_version"):
    with open("/etc/debian_version", encoding="utf-8") as debian:
        version = debian.read().strip()  # the point release: 13.2, 12.8
addresses = []
if os.path.exists("/proc/net/if_inet6"):
    with open("/proc/net/if_inet6", encoding="utf-8") as table:
        for row in table:
            fields = row.split()
            if len(fields) == 6 and fields[5] != "lo":
                addresses.append(str(ipaddress.IPv6Address(bytes.fromhex(fields[0]))))
packages = {}
for package in ("nginx", "apache2"):
    query = subprocess.run(["dpkg-query", "--show", "--showformat=${db:Status-Abbrev} ${Version}", package],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True, check=False)
    status, dummy, package_version = query.stdout.partition(" ")
    packages[package] = package_version.strip() if query.returncode == 0 and status.startswith("ii") else ""
units_dir = sorted(os.listdir("/etc/systemd/system"))
units = [name for name in units_dir if name.endswith(".socket") and name.startswith(("gunicorn-", "waitress-"))]
MARKER = re.compile(r"^# flask_processes unit of (\S+)$", re.MULTILINE)
process_units = {}
for unit in units_dir:
    if not unit.endswith((".service", ".timer")):
        continue
    path = os.path.join("/etc/systemd/system", unit)
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        continue
    with os.fdopen(handle, "rb") as opened:
        if not stat.S_ISREG(os.fstat(opened.fileno()).st_mode):
            continue
        found = MARKER.search(opened.read(65536).decode("utf-8", "replace"))
    if found:
        process_units.setdefault(found.group(1), []).append(unit)
users, groups = {}, {}
for account in json.loads(sys.argv[1]) if len(sys.argv) > 1 else []:
    try:
        entry = pwd.getpwnam(account)
    except KeyError:
        users[account] = None
    else:
        users[account] = {"gid": entry.pw_gid, "home": entry.pw_dir, "shell": entry.pw_shell, "comment": entry.pw_gecos}
    try:
        groups[account] = grp.getgrnam(account).gr_gid
    except KeyError:
        groups[account] = None
memtotal_mb = 0
try:
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for row in meminfo:
            if row.startswith("MemTotal:"):
                memtotal_mb = int(row.split()[1]) // 1024
                break
except (OSError, ValueError, IndexError):
    pass
print(json.dumps({
    "distribution": release.get("NAME", name).split()[0] if name != "debian" else "Debian",
    "distribution_version": version,
    "distribution_major_version": version.split(".")[0],
    "distribution_release": release.get("VERSION_CODENAME", ""),
    "processor_vcpus": os.cpu_count() or 1,
    "memtotal_mb": memtotal_mb,
    "all_ipv6_addresses": addresses,
    "packages": packages,
    "units": units,
    "process_units": process_units,
    "accounts": {"users": users, "groups": groups},
}))
