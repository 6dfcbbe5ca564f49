#!/usr/bin/env python3
"""Write roles/flask_app/files/public-keys.txt: the publicly known Flask secret keys of
flask-unsign's wordlist (PyPI flask-unsign-wordlist), as truncated SHA-256 digests.

Keys shorter than 24 bytes are left out: the import check refuses those by length.
A digest prefix of 12 hex digits (48 bits) keeps the file small; the chance that a
random strong key matches one of the ~22,000 entries is about 1 in 10^10.
Needs only PyPI: the pinned package is installed into a throwaway virtualenv.
  python3 testbed/public-keys.py
"""
import ast
import hashlib
import os
import subprocess
import sys
import tempfile

PACKAGE = "flask-unsign-wordlist==2024.1"
MIN_BYTES = 24
DIGITS = 12
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "roles", "flask_app", "files", "public-keys.txt")


def words(path):
    """Each line is a Python literal, as flask-unsign reads it (str or bytes)."""
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        for line in handle:
            line = line.rstrip("\n")
            try:
                value = ast.literal_eval(line)
            except (ValueError, SyntaxError):
                value = line
            if isinstance(value, str):
                value = value.encode("utf-8", "surrogateescape")
            if isinstance(value, bytes):
                yield value


def main():
    with tempfile.TemporaryDirectory() as venv:
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "--quiet", PACKAGE], check=True)
        path = subprocess.run(
            [os.path.join(venv, "bin", "python"), "-c", "import flask_unsign_wordlist as w; print(w.get('all'))"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        digests = sorted({hashlib.sha256(key).hexdigest()[:DIGITS] for key in words(path) if len(key) >= MIN_BYTES})
    with open(OUT, "w", encoding="ascii") as handle:
        handle.write(f"# Publicly known Flask secret keys of {MIN_BYTES} bytes or more: the first {DIGITS} hex digits of\n")
        handle.write(f"# the SHA-256 of each key in {PACKAGE} (PyPI), one a line.\n")
        handle.write("# Written by testbed/public-keys.py; do not edit.\n")
        handle.write("\n".join(digests) + "\n")
    print(f"{len(digests)} digests written to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
