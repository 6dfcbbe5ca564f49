"""The adopt scenario's fixtures: the site seen from outside."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
from sitelib import PROJECT, Site, run_playbook, site  # noqa: E402,F401
