"""Workflow commands as a user meets them: DAG folder, trigger --wait, runs, logs, errors."""

from pathlib import Path

import pytest

from edgeweave.cli.main import main

DAGS = Path(__file__).parent / "wf_dags"


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEWEAVE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EDGEWEAVE_DAGS", str(DAGS))
    monkeypatch.delenv("EDGEWEAVE_DB_URL", raising=False)


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_dags_list_shows_dags_and_the_broken_file(capsys):
    code, out, _ = run(capsys, "dags", "list")
    assert code == 0
    assert "hello" in out and "ocr_service" in out  # user folder + bundled examples
    assert "import error" in out and "broken.yaml" in out and "cycle: a -> b -> a" in out


def test_dags_validate_fails_on_the_cycle_with_file_and_line(capsys, tmp_path):
    code, out, err = run(capsys, "dags", "validate", str(DAGS / "broken.yaml"))
    assert code == 9
    assert "cycle" in out and "broken.yaml:" in out and "1 DAG file(s) failed" in err
    code, out, _ = run(capsys, "dags", "validate", str(DAGS / "hello.py"))
    assert code == 0 and "ok hello" in out


def test_trigger_wait_runs_the_dag_and_logs_are_readable(capsys):
    code, out, err = run(capsys, "trigger", "hello", "-p", "name=world", "--wait")
    assert code == 0, err
    assert "greet: success" in out and "shout: success" in out and ": success" in out
    run_id = next(w for w in out.split() if w.startswith("manual__"))
    code, out, _ = run(capsys, "runs", "list", "--dag", "hello")
    assert code == 0 and run_id in out and "success" in out
    code, out, _ = run(capsys, "runs", "show", run_id)
    assert code == 0 and '"name": "world"' in out and "shout" in out
    code, out, _ = run(capsys, "tasks", "logs", run_id, "shout")
    assert code == 0 and "HELLO WORLD" in out


@pytest.mark.parametrize(
    ("args", "code", "match"),
    [
        (["trigger", "hello", "-p", "times=many"], 2, "param 'times': expected integer"),
        (["trigger", "hello", "--conf", "{bad"], 2, "not valid JSON"),
        (["trigger", "nope"], 10, "unknown DAG 'nope'"),
        (["runs", "show", "no-such-run"], 10, "no-such-run"),
        (["dags", "show", "broken"], 10, "failed to load"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(capsys, args, code, match):
    got, _, err = run(capsys, *args)
    assert got == code, err
    assert match in err and "Traceback" not in err


def test_unreachable_database_url(capsys, monkeypatch):
    monkeypatch.setenv("EDGEWEAVE_DB_URL", "postgresql+psycopg://nobody@127.0.0.1:1/x")
    code, _, err = run(capsys, "runs", "list")
    assert code == 11 and "cannot connect" in err and "EDGEWEAVE_DB_URL" in err


def test_pause_and_unpause_are_recorded(capsys):
    from edgeweave.store import repository as repo
    from edgeweave.workflow.service import open_engine

    code, out, _ = run(capsys, "dags", "pause", "hello")
    assert code == 0 and "hello: paused" in out
    assert repo.is_paused(open_engine(), "hello")
    assert run(capsys, "dags", "unpause", "hello")[0] == 0
    assert not repo.is_paused(open_engine(), "hello")
