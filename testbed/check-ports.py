#!/usr/bin/env python3
"""Fail when two molecule scenarios claim the same host port (an SSH port or a published
address:port). Scenarios run two at a time, so a shared port makes one of them fail
whenever the pair overlaps, which depends on timing: this catches it before any run."""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SSH = re.compile(r"^\s*ssh_port:\s*(\d+)\s*$")
PUBLISH = re.compile(r"^\s*-\s*\"?(\d+\.\d+\.\d+\.\d+):(\d+):\d+\"?\s*$")

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
if clashes:
    sys.exit(1)
print(f"molecule scenarios use {len(claims)} host ports, none shared")
