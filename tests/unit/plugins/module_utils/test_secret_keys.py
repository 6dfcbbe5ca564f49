"""secret_keys: one definition of a weak Flask secret key, which the app's import check
(flask_app's tool) and the host audit (flask_audit) both start with."""
import hashlib
import os

from ansible_collections.flaskops.production.plugins.module_utils import secret_keys

ROLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles")
LONG = b"k" * secret_keys.SECRET_KEY_MIN_BYTES


def digest(key):
    return hashlib.sha256(key).hexdigest()[:secret_keys.PUBLIC_KEY_DIGITS]


def test_a_short_key_is_short_and_a_listed_key_is_public():
    listed = b"a publicly known key of some length"
    digests = secret_keys.public_key_digests(["# flask-unsign wordlist\n", "\n", digest(listed) + "\n"])
    assert secret_keys.secret_key_weakness(b"dev", digests) == "short"
    assert secret_keys.secret_key_weakness(LONG[:-1], digests) == "short"
    assert secret_keys.secret_key_weakness(listed, digests) == "public"
    assert secret_keys.secret_key_weakness(LONG, digests) is None
    assert secret_keys.secret_key_weakness(b"", digests) is None


def test_the_role_list_holds_digests_only():
    with open(os.path.join(ROLES, "flask_app", "files", "public-keys.txt"), encoding="ascii") as handle:
        digests = secret_keys.public_key_digests(handle)
    assert len(digests) > 1000
    assert all(len(item) == secret_keys.PUBLIC_KEY_DIGITS and int(item, 16) >= 0 for item in digests)
    # The example key of Flask's own documentation, which flask-unsign's wordlist holds.
    flask_docs_key = b"192b9bdd22ab9ed4d12e236c78afcb9a393ec15f71bbf5dc987d54727823bcbf"
    assert secret_keys.secret_key_weakness(flask_docs_key, digests) == "public"


def test_the_audit_script_judges_keys_with_the_shared_code():
    """The audit as the flask_audit role sends it: this module, the digests, the script."""
    listed = b"another publicly known key, long enough"
    with open(os.path.join(ROLES, "flask_audit", "files", "secret_keys.py"), encoding="utf-8") as handle:
        source = handle.read()
    source += "PUBLIC_KEY_DIGESTS = %r\n" % [digest(listed)]
    with open(os.path.join(ROLES, "flask_audit", "files", "flask_audit.py"), encoding="utf-8") as handle:
        source += handle.read()
    scope = {"__name__": "audit"}
    exec(compile(source, "flask_audit", "exec"), scope)  # noqa: S102 (the role's own script)
    found = scope["weak_secret_keys"]({"SECRET_KEY": "dev", "APP_SECRET_KEY": listed.decode(), "OK_SECRET_KEY": LONG.decode()})
    assert found == ["APP_SECRET_KEY publicly known", "SECRET_KEY shorter than 24 bytes"]


def test_the_app_tool_starts_with_the_shared_code():
    """The import check installed by the flask_app role: this module, then the tool."""
    with open(os.path.join(ROLES, "flask_app", "files", "secret_keys.py"), encoding="utf-8") as handle:
        source = handle.read()
    with open(os.path.join(ROLES, "flask_app", "files", "flask_app_tool.py"), encoding="utf-8") as handle:
        source += handle.read()
    scope = {"__name__": "tool"}
    exec(compile(source, "flask_app_tool", "exec"), scope)  # noqa: S102 (the role's own script)
    problems = scope["secret_key_problems"]({"SECRET_KEY": "dev"}, {"FLASK_SECRET_KEY": "dev"}, "/nonexistent", frozenset())
    assert problems == [{"name": "SECRET_KEY", "why": "it is shorter than 24 bytes", "where": ["environment variable FLASK_SECRET_KEY"]}]
