#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_git_source
short_description: Fetch an app's git source into the host's cache and resolve the commit to deploy
description:
  - Fetches every branch and tag of O(repo) into O(cache), a bare repository of root's
    (mode 0700), and returns the commit O(version) names there.
  - The cache's config holds the URL without credentials; a password in the URL reaches git
    through its C(store) credential helper, reading a 0600 file in a 0700 directory of root's
    under C(/run) that exists only while git runs. The URL is a C(no_log) option, so it
    reaches the host inside the module's arguments, never on a command line; an error names
    the URL without its credentials.
  - Check mode asks the remote (C(git ls-remote)) for the commit and reports whether the cache
    lacks it, changing nothing.
version_added: 1.1.0
options:
  repo:
    description: The repository's URL, credentials and all.
    type: str
    required: true
  cache:
    description: The bare repository the source is fetched into (created when missing).
    type: path
    required: true
  version:
    description: A branch, a tag, a full commit id, or C(HEAD) (the remote's default branch).
    type: str
    default: HEAD
attributes:
  check_mode:
    description: Asks the remote only; fetches and writes nothing.
    support: full
  diff_mode:
    description: The cache is a repository, not a file to show.
    support: none
author: flaskops maintainers (@flaskops)
"""

EXAMPLES = r"""
- name: Fetch the repository into the host's cache and resolve the commit to deploy
  flaskops.production.flask_git_source:
    repo: https://git.example.com/me/myapp.git
    cache: /srv/myapp/git-cache
    version: main
  register: myapp_git
"""

RETURN = r"""
commit:
  description: The commit O(version) names.
  returned: success
  type: str
  sample: 0123456789abcdef0123456789abcdef01234567
"""

import os
import re
import shutil
import stat
import subprocess
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.parse import quote, unquote, urlsplit

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
    module = AnsibleModule(
        argument_spec={
            "repo": {"type": "str", "required": True, "no_log": True},
            "cache": {"type": "path", "required": True},
            "version": {"type": "str", "default": "HEAD"},
        },
        supports_check_mode=True,
    )
    url = module.params["repo"].strip()
    spec = {"cache": module.params["cache"], "version": module.params["version"], "dry_run": module.check_mode}
    try:
        found = fetch(spec, url)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
        # git prints the URL it was given, and that one has no password; cut any left.
        module.fail_json(msg=re.sub(r"://[^/\s]*@", "://", str(error).replace(url, split_url(url)[0])))
    module.exit_json(changed=found["changed"], commit=found["commit"])


if __name__ == "__main__":
    main()
