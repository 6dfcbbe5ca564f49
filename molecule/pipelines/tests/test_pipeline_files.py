"""Both pipeline definitions are valid against their published schemas and clean under
zizmor at medium severity and above (offline)."""
import os
import subprocess

from conftest import CI_TOOLS, PROJECT

GITLAB = os.path.join(PROJECT, ".gitlab-ci.yml")
WORKFLOWS = os.path.join(PROJECT, ".github", "workflows")


def tool(name, *args):
    return subprocess.run([os.path.join(CI_TOOLS, name), *args], capture_output=True, text=True,
                          timeout=300, check=False, cwd=PROJECT)


def workflow_files():
    files = sorted(os.path.join(WORKFLOWS, f) for f in os.listdir(WORKFLOWS) if f.endswith((".yml", ".yaml")))
    assert files, f"no workflow in {WORKFLOWS}"
    return files


def test_gitlab_ci_file_matches_the_gitlab_schema():
    result = tool("check-jsonschema", "--builtin-schema", "vendor.gitlab-ci", GITLAB)
    assert result.returncode == 0, f".gitlab-ci.yml is not valid GitLab CI:\n{result.stdout}{result.stderr}"


def test_github_workflows_match_the_workflow_schema():
    result = tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflow_files())
    assert result.returncode == 0, f"a workflow is not valid:\n{result.stdout}{result.stderr}"


def test_zizmor_finds_nothing_at_medium_or_above():
    result = tool("zizmor", "--offline", "--min-severity", "medium", "--format", "plain", WORKFLOWS)
    assert result.returncode == 0, f"zizmor findings at medium or above:\n{result.stdout}{result.stderr}"
    for path in workflow_files():
        assert f"completed {path}" in result.stderr, f"zizmor did not audit {path}:\n{result.stderr}"


def test_third_party_actions_are_pinned_by_commit():
    for path in workflow_files():
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                uses = line.split("uses:", 1)[1].split("#")[0].strip() if "uses:" in line else ""
                if uses and not uses.startswith("./"):
                    ref = uses.rpartition("@")[2]
                    assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), (
                        f"{os.path.basename(path)}:{number}: {uses} is not pinned to a commit")
