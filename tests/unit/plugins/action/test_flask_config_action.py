"""flask_config's action plugin: templates are found in the role's templates/ directory and
rendered on the controller with the task's variables, as ansible.builtin.template renders
them; the module then writes them. A real ansible-playbook run on this machine."""
import grp
import json
import os
import pwd
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name

TASKS = """
- name: Preview, write, then write again
  flaskops.production.flask_config:
    files:
      - {path: "{{ out }}/a.conf", template: a.conf.j2, owner: "%s", group: "%s", mode: "0640"}
  check_mode: "{{ item == 'check' }}"
  diff: "{{ item != 'again' }}"
  loop: [check, real, again]
  register: demo_result

- name: Keep the results
  ansible.builtin.copy:
    content: "{{ demo_result.results | to_json }}"
    dest: "{{ out }}/result.json"
    mode: "0600"
  diff: false
""" % (USER, GROUP)


@pytest.fixture
def play(tmp_path):
    (tmp_path / "roles/demo/tasks").mkdir(parents=True)
    (tmp_path / "roles/demo/templates").mkdir()
    (tmp_path / "roles/demo/templates/a.conf.j2").write_text("{{ ansible_managed | comment }}\nvalue = {{ demo_value }}\n")
    (tmp_path / "roles/demo/tasks/main.yml").write_text(TASKS)
    (tmp_path / "out").mkdir()
    (tmp_path / "play.yml").write_text(
        "- hosts: localhost\n  gather_facts: false\n  roles: [demo]\n")

    def run():
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
                   ANSIBLE_ROLES_PATH=str(tmp_path / "roles"),
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"),
                   ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="false")
        done = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-c", "local", "-i", "localhost,",
             "play.yml", "-e", json.dumps({"out": str(tmp_path / "out"), "demo_value": 42})],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        assert done.returncode == 0, done.stdout[-3000:]
        return json.loads((tmp_path / "out/result.json").read_text())

    return tmp_path, run


def test_template_is_rendered_with_the_task_vars_and_written_once(play):
    """One run: check mode with --diff, the real run with --diff, the real run again."""
    root, run = play
    checked, first, again = run()
    assert checked["changed"] and first["changed"] and not again["changed"], (checked, first, again)
    assert first["changed_paths"] == checked["changed_paths"] == [str(root / "out/a.conf")]
    assert first["diff"] == checked["diff"] and first["diff"][0]["after"].endswith("value = 42\n")
    text = (root / "out/a.conf").read_text()
    assert text.startswith("#\n# Ansible managed") and text.endswith("value = 42\n"), text
