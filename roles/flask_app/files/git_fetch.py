"""Fetch a git source into the app's cache and print the commit to deploy (the flask_app role's
tasks/source_git.yml runs it as root).

argv[1]: JSON {"cache": DIR, "version": BRANCH|TAG|COMMIT|HEAD, "dry_run": BOOL}.
stdin: the repository's URL, credentials and all; it never reaches a command line.

The cache is a bare repository, root's and mode 0700. Its config holds the URL without
credentials; a password in the URL reaches git through its `store` credential helper,
reading a 0600 file in a 0700 directory of root's that exists only while git runs.
dry_run (check mode) asks the remote with ls-remote and changes nothing.
Prints the commit on stdout and JSON {"changed"} on stderr; an error goes to stderr,
without the credentials, with exit status 1.
"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from urllib.parse import quote, unquote, urlsplit

HEAD_REF = "refs/remotes/origin/HEAD"
REFSPECS = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*", "+HEAD:" + HEAD_REF]


def split_url(url):
    """(the URL without a password, the credential-store line or None)."""
    parts = urlsplit(url)
    if "://" not in url or parts.password is None:
        return url, None
    host = parts.netloc.rpartition("@")[2]
    line = "%s://%s:%s@%s\n" % (parts.scheme, quote(unquote(parts.username or ""), safe=""),
                                 quote(unquote(parts.password), safe=""), host)
    return parts._replace(netloc=host).geturl(), line


def git(cache, *args, helper=None, check=True):
    command = ["git"]
    if helper:
        command += ["-c", "credential.helper=", "-c", "credential.helper=store --file=" + helper]
    command += (["--git-dir", cache] if cache else []) + list(args)
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/false", "SSH_ASKPASS": "/bin/false"}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if check and done.returncode != 0:
        raise RuntimeError("git %s failed: %s" % (args[0], done.stderr.strip()))
    return done


def prepare(cache, url):
    """The cache as root's 0700 bare repository, whose origin is url (an earlier version's
    cache kept the URL with its credentials in its config)."""
    if not os.path.lexists(cache):
        os.mkdir(cache, 0o700)
    found = os.lstat(cache)
    if not stat.S_ISDIR(found.st_mode):
        raise RuntimeError("%s is not a directory" % cache)
    os.chown(cache, 0, 0, follow_symlinks=False)
    os.chmod(cache, 0o700)
    if not os.path.exists(os.path.join(cache, "HEAD")):
        subprocess.run(["git", "init", "--quiet", "--bare", cache], check=True, capture_output=True)
    git(cache, "config", "remote.origin.url", url)
    git(cache, "config", "--unset-all", "remote.origin.fetch", check=False)


def resolve_remote(url, version, helper):
    """The commit version names on the remote (ls-remote), for a dry run."""
    if re.fullmatch(r"[0-9a-f]{40}", version):
        return version
    listing = git(None, "ls-remote", url, helper=helper).stdout.split("\n")
    refs = dict(reversed(line.split("\t", 1)) for line in listing if "\t" in line)
    for name in (version, "refs/heads/" + version, "refs/tags/" + version + "^{}", "refs/tags/" + version):
        if name in refs:
            return refs[name]
    raise RuntimeError("the remote has no branch or tag %s" % version)


def fetch(spec, url):
    cache, version = spec["cache"], spec["version"]
    public_url, line = split_url(url)
    private = tempfile.mkdtemp(prefix="flask-app-git-", dir="/run") if line else None
    try:
        helper = None
        if line:
            helper = os.path.join(private, "credentials")
            fd = os.open(helper, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(line)
        if spec.get("dry_run"):
            commit = resolve_remote(public_url, version, helper)
            known = os.path.isdir(cache) and git(cache, "cat-file", "-e", commit + "^{commit}", check=False).returncode == 0
            return {"commit": commit, "changed": not known}
        prepare(cache, public_url)
        before = git(cache, "for-each-ref", "--format=%(objectname) %(refname)").stdout
        git(cache, "fetch", "--quiet", "--force", "--prune", "origin", *REFSPECS, helper=helper)
        name = HEAD_REF if version == "HEAD" else version
        commit = git(cache, "rev-parse", "--verify", "--quiet", name + "^{commit}", check=False).stdout.strip()
        if not commit:
            raise RuntimeError("the repository has no branch, tag or commit %s" % version)
        after = git(cache, "for-each-ref", "--format=%(objectname) %(refname)").stdout
        return {"commit": commit, "changed": before != after}
    finally:
        if private:
            shutil.rmtree(private, ignore_errors=True)


def main():
    spec = json.loads(sys.argv[1])
    url = sys.stdin.read().strip()
    try:
        found = fetch(spec, url)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
        # git prints the URL it was given, and that one has no password; cut any left.
        sys.exit(re.sub(r"://[^/\s]*@", "://", str(error).replace(url, split_url(url)[0])))
    # stdout is the commit alone (the build reads it); whether the cache changed goes to stderr.
    print(found["commit"])
    print(json.dumps({"changed": found["changed"]}), file=sys.stderr)


main()
