# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""When a Flask secret key is unfit to sign sessions: too short, or publicly known.

Publicly known keys are those of flask-unsign's wordlist, listed as the first
PUBLIC_KEY_DIGITS hex digits of each key's SHA-256 (roles/flask_app/files/public-keys.txt,
made by testbed/public-keys.py). Both host-side checks start with this very text: the
flask_app role installs it followed by its tool (the import check), and the flask_audit
role sends it followed by the audit script (each role links this file into its files/
as flaskops_secret_keys.py); each script then imports these names with
`from flaskops_secret_keys import ...`, a name no app's module takes. Standard library
only, Python 3.6 and later.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import sys

SECRET_KEY_MIN_BYTES = 24
PUBLIC_KEY_DIGITS = 12


def public_key_digests(lines):
    """The digests of a public key list's lines (comments and blank lines skipped)."""
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def secret_key_weakness(key, digests):
    """Why the secret key `key` (bytes) is unfit: "short" (under SECRET_KEY_MIN_BYTES bytes)
    or "public" (its digest is in `digests`); None when it is neither or empty."""
    if not key:
        return None
    if len(key) < SECRET_KEY_MIN_BYTES:
        return "short"
    if hashlib.sha256(key).hexdigest()[:PUBLIC_KEY_DIGITS] in digests:
        return "public"
    return None


if __name__ == "__main__":
    # The head of a host-side script: its `from flaskops_secret_keys import ...` finds the
    # names here.
    sys.modules.setdefault("flaskops_secret_keys", sys.modules[__name__])
