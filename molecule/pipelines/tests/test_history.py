"""The deploy history on the host: a record per deploy, rollback and refused release
(time, app, release, source, who, result), newest last, bounded in size."""
import json

from conftest import APP, DEPLOY, ROLLBACK, controller_identity, history, lock_record, on_host, run_playbook

FIELDS = {"time", "app", "action", "release", "source", "who", "result"}


def test_a_rollback_is_recorded_with_its_source_and_who():
    before = history()
    result = run_playbook(ROLLBACK)
    assert result.returncode == 0, result.output[-3000:]
    records = history()
    assert len(records) == len(before) + 1, f"one record expected, got {records[len(before):]}"
    record = records[-1]
    assert FIELDS <= set(record), f"fields missing from {record}"
    assert record["action"] == "rollback" and record["result"] == "ok" and record["app"] == APP, record
    state = json.loads(on_host(f"flask-release status /srv/{APP}").stdout)
    assert record["release"] == state["current"], f"the record names {record['release']}, {state['current']} is live"
    assert record["source"].startswith("dir ") and "sha256:" in record["source"], f"no source checksum: {record}"
    assert record["who"] == controller_identity()["who"], f"the record does not say who ran it: {record}"


def test_a_refused_release_is_recorded_and_releases_the_lock(make_release):
    before = history()
    result = run_playbook(DEPLOY, "-e", f"flask_app_source_dir={make_release(40, health='import-error')}")
    assert result.returncode != 0 and result.failed == 1, "a release that cannot import was deployed"
    assert lock_record() is None, f"the failed deploy left its lock:\n{result.output[-2000:]}"
    record = history()[-1]
    assert len(history()) == len(before) + 1, "the refused release was not recorded once"
    assert record["action"] == "deploy" and record["result"] == "refused", record
    assert record["release"] and record["release"] != before[-1]["release"], record
    assert "does not import" in record["detail"] or "not deployed" in record["detail"], record
    assert "sha256:" in record["source"], record


def test_history_prints_newest_last():
    records = history()
    times = [record["time"] for record in records]
    assert times == sorted(times), f"the history is not in time order: {times}"
    text = on_host(f"flask-release history /srv/{APP}").stdout.splitlines()
    assert len(text) == len(records) and records[-1]["release"] in text[-1], f"the printed history differs:\n{text}"


def test_history_keeps_only_the_last_500_records():
    """A history of 510 records gets one more: the oldest 11 go, 500 stay, newest last."""
    root = "/tmp/history-bound"
    seed = "\n".join(json.dumps({"time": "2026-01-01T00:00:00Z", "release": f"r{i}", "result": "ok"})
                     for i in range(1, 511))
    on_host(f"rm -rf {root} && mkdir -p {root} && cat > {root}/deploy-history.jsonl <<'EOF'\n{seed}\nEOF")
    added = on_host(f"flask-release record {root} --action deploy --result ok --release r511 --changed")
    records = json.loads(on_host(f"flask-release history {root} --json").stdout)
    on_host(f"rm -rf {root}")
    assert added.returncode == 0, added.stderr
    assert len(records) == 500, f"the history kept {len(records)} records, not the last 500"
    assert records[0]["release"] == "r12" and records[-1]["release"] == "r511", (records[0], records[-1])
