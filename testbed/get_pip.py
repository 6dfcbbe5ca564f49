"""Stand-in for ansible-test's pip bootstrap script (testbed/sanity.sh): pip from the
interpreter's ensurepip, then the requested version from the package index. get-pip's own
options --no-setuptools and --no-wheel are applied after the install."""
import subprocess
import sys

OWN = ("--no-setuptools", "--no-wheel")

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install", *[arg for arg in sys.argv[1:] if arg not in OWN]])
if "--no-setuptools" in sys.argv:
    subprocess.check_call([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", "setuptools"])
