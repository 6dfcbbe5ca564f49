#!/usr/bin/env python3
"""Write playbooks/vars/NAME.json from playbooks/vars/NAME.yml, or with --check fail when a
JSON file is missing or differs from its YAML source.

The plays load the JSON files. Ansible reads a play's vars_files again for every task it
runs, and it tries JSON before YAML: a JSON file is read at once, a YAML one goes through
its pure-Python YAML parser each time. On the demo host that parsing was about 2 s of an
idempotent site.yml run of 20 s (bench/results/README.md). The YAML files stay the source,
with their comments; edit them and run `make docs`."""
import glob
import json
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rendered(source):
    with open(source, encoding="utf-8") as handle:
        return json.dumps(yaml.safe_load(handle), indent=2) + "\n"


def main():
    check = sys.argv[1:] == ["--check"]
    stale = []
    for source in sorted(glob.glob(os.path.join(ROOT, "playbooks", "vars", "*.yml"))):
        target = source[: -len(".yml")] + ".json"
        want = rendered(source)
        try:
            with open(target, encoding="utf-8") as handle:
                have = handle.read()
        except FileNotFoundError:
            have = None
        if have == want:
            continue
        if check:
            stale.append(os.path.relpath(target, ROOT))
        else:
            with open(target, "w", encoding="utf-8") as handle:
                handle.write(want)
            print(f"wrote {os.path.relpath(target, ROOT)}")
    if stale:
        sys.exit("differ from their YAML source (run make docs): " + ", ".join(stale))
    print("playbooks/vars JSON files match their YAML sources")


main()
