"""The test bed's scenarios run side by side and publish their hosts' ports on the
controller's loopback: every port must be one no other scenario publishes, and lie below
the kernel's ephemeral range, where a client connection of the moment (an SSH session,
pip, a test's request) may hold it and make the host's boot fail with "address in use"."""
import glob
import os

import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def ephemeral_floor():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as handle:
            return int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def published():
    """(scenario, (address, host port)) for every ssh_port (on 127.0.0.1, testbed/host.sh)
    and publish entry (ADDRESS:PORT:CONTAINER_PORT) of every scenario."""
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, "molecule", "*", "molecule.yml"))):
        scenario = os.path.basename(os.path.dirname(path))
        with open(path) as handle:
            config = yaml.safe_load(handle)
        for platform in config.get("platforms", []):
            if "ssh_port" in platform:
                found.append((scenario, ("127.0.0.1", int(platform["ssh_port"]))))
            for entry in platform.get("publish", []):
                address, port, dummy = str(entry).rsplit(":", 2)
                found.append((scenario, (address, int(port))))
    return found


def test_every_scenario_publishes_ports():
    assert len({scenario for scenario, dummy in published()}) >= 10


def test_published_ports_lie_below_the_ephemeral_range():
    floor = ephemeral_floor()
    high = [(scenario, port) for scenario, (dummy, port) in published() if port >= floor]
    assert not high, f"ports at or above {floor} (the ephemeral range) may be held by a client: {high}"


def test_no_two_scenarios_publish_one_port():
    owners = {}
    for scenario, where in published():
        owners.setdefault(where, set()).add(scenario)
    shared = {port: sorted(names) for port, names in owners.items() if len(names) > 1}
    assert not shared, f"ports published by several scenarios: {shared}"
