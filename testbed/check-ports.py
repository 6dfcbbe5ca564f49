#!/usr/bin/env python3
"""Fail when two molecule scenarios claim the same host port (an SSH port or a published
address:port), or when one claims a port in the kernel's ephemeral range. Scenarios run
two at a time, so a shared port makes one of them fail whenever the pair overlaps; and a
port in the ephemeral range may be held at that moment by a client connection (an SSH
session, pip, a test's request), which made a host's boot fail with "address already in
use". Both depend on timing: this catches them before any run."""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SSH = re.compile(r"^\s*ssh_port:\s*(\d+)\s*$")
PUBLISH = re.compile(r"^\s*-\s*\"?(\d+\.\d+\.\d+\.\d+):(\d+):\d+\"?\s*$")

def ephemeral_floor():
    """The first port the kernel hands out to client connections (Linux's default 32768)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as handle:
            return int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


claims = {}
for path in sorted(glob.glob(os.path.join(ROOT, "molecule", "*", "molecule.yml"))):
    scenario = os.path.basename(os.path.dirname(path))
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if match := SSH.match(line):
                key = f"127.0.0.1:{match.group(1)} (ssh)"
            elif match := PUBLISH.match(line):
                key = f"{match.group(1)}:{match.group(2)}"
            else:
                continue
            claims.setdefault(key, set()).add(scenario)

clashes = {key: names for key, names in claims.items() if len(names) > 1}
for key, names in sorted(clashes.items()):
    print(f"port {key} is claimed by scenarios {', '.join(sorted(names))}: give each its own")
floor = ephemeral_floor()
high = {key: names for key, names in claims.items() if int(key.split(":")[1].split()[0]) >= floor}
for key, names in sorted(high.items()):
    print(f"port {key} of {', '.join(sorted(names))} is in the ephemeral range ({floor} and up): "
          "a client connection may hold it; choose one below")
if clashes or high:
    sys.exit(1)
print(f"molecule scenarios use {len(claims)} host ports, none shared, all below {floor}")
