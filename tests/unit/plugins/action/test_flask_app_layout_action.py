"""flask_app_layout's action plugin: a large file goes to the host as its SHA-1, and its
content follows only where the host's file differs; check mode and --diff show the same
change as the real run. A real ansible-playbook run on this machine."""
import grp
import json
import os
import pwd
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
ME = pwd.getpwuid(os.getuid())
GROUP = grp.getgrgid(os.getgid()).gr_name

PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Preview, write, then write again
      flaskops.production.flask_app_layout:
        group: "%(group)s"
        user: "%(user)s"
        home: "%(home)s"
        shell: "%(shell)s"
        comment: "%(gecos)s"
        files:
          - {path: "{{ out }}/big.txt", content: "{{ big }}", owner: "%(user)s", group: "%(group)s"}
          - {path: "{{ out }}/small.txt", content: "small\\n", owner: "%(user)s", group: "%(group)s"}
      check_mode: "{{ item == 'check' }}"
      diff: true
      loop: [check, real, again]
      register: layout_result

    - name: Keep the results
      ansible.builtin.copy:
        content: "{{ layout_result.results | to_json }}"
        dest: "{{ out }}/result.json"
        mode: "0600"
      diff: false
""" % dict(group=GROUP, user=ME.pw_name, home=ME.pw_dir, shell=ME.pw_shell, gecos=ME.pw_gecos)


def run(tmp_path, big):
    (tmp_path / "play.yml").write_text(PLAY)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"),
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="false")
    done = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-c", "local", "-i", "localhost,",
         "play.yml", "-e", json.dumps({"out": str(tmp_path), "big": big})],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    return json.loads((tmp_path / "result.json").read_text())


def sent(result, path):
    return [item for item in result["invocation"]["module_args"]["files"] if item["path"] == path][0]


def test_a_large_file_travels_as_its_digest_until_it_differs(tmp_path):
    big = "".join("%06d\n" % n for n in range(3000))
    check, real, again = run(tmp_path, big)
    assert check["changed"] and real["changed"] and not again["changed"], (check, real, again)
    assert (tmp_path / "big.txt").read_text() == big
    assert check["changed_paths"] == real["changed_paths"] == [str(tmp_path / "big.txt"), str(tmp_path / "small.txt")]
    assert check["diff"] == real["diff"], "the preview's diff is not the run's"
    assert sent(real, str(tmp_path / "big.txt"))["content"] == big, "the differing file went without its content"
    unchanged = sent(again, str(tmp_path / "big.txt"))
    assert unchanged["content"] is None and unchanged["sha1"], "an unchanged large file travelled whole"
    assert sent(again, str(tmp_path / "small.txt"))["content"] == "small\n"


def test_drift_in_a_large_file_shows_its_content_diff(tmp_path):
    big = "".join("%06d\n" % n for n in range(3000))
    run(tmp_path, big)
    with open(tmp_path / "big.txt", "a") as handle:
        handle.write("drift\n")
    check, real, again = run(tmp_path, big)
    assert check["changed_paths"] == real["changed_paths"] == [str(tmp_path / "big.txt")]
    assert "drift" in check["diff"][0]["before"] and check["diff"] == real["diff"]
    assert not again["changed"]


def test_a_set_with_a_secret_file_is_kept_out_of_the_hosts_journal(monkeypatch):
    """AnsibleModule logs its arguments to the journal unless _ansible_no_log is set."""
    from ansible.plugins.action import ActionBase
    from ansible_collections.flaskops.production.plugins.action import flask_app_layout, flask_config

    monkeypatch.setattr(ActionBase, "_update_module_args",
                        lambda self, name, args, task_vars, *rest, **kw: args.update(_ansible_no_log=False))
    for plugin in (flask_app_layout, flask_config):
        action = object.__new__(plugin.ActionModule)
        secret = {"files": [{"path": "/etc/flask/a.env", "content": "SECRET_KEY=x\n", "diff": False}]}
        action._update_module_args("m", secret, {})
        public = {"files": [{"path": "/etc/a.conf", "content": "a\n"}]}
        action._update_module_args("m", public, {})
        assert secret["_ansible_no_log"] is True and public["_ansible_no_log"] is False, plugin.__name__
    compared = {"files": [], "compare": [{"path": "/etc/flask/a.env", "content": "SECRET_KEY=x\n", "diff": False}]}
    object.__new__(flask_app_layout.ActionModule)._update_module_args("m", compared, {})
    assert compared["_ansible_no_log"] is True
