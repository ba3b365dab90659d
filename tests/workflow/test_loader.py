"""DagBag: a folder of Python and YAML DAGs; broken files are listed, the rest still load."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edgeweave.errors import ParameterError
from edgeweave.workflow.loader import DagBag, default_dag_folders

FIXTURES = Path(__file__).parent / "dags_fixtures"
OPERATORS = {"python", "optimize_model", "infer"}


@pytest.fixture
def dag_tree(tmp_path: Path) -> Path:
    """A copy of the fixtures, plus a file with a syntax error (kept as .txt so ruff can lint)."""
    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, root)
    shutil.copy(root / "mixed" / "wfx_syntax_error_dag.py.txt", root / "mixed" / "wfx_syntax_error_dag.py")
    return root


def test_good_dags_load_and_broken_files_are_listed(dag_tree):
    bag = DagBag.load([dag_tree / "mixed", dag_tree / "extra"], known_operators=OPERATORS)
    assert sorted(bag.dags) == ["etl", "etl_small", "extra_examples", "ocr_service"]
    mixed = dag_tree / "mixed"
    assert sorted(Path(f).name for f in bag.import_errors) == [
        "wfx_bad_calls_dag.py", "wfx_bad_yaml.yaml", "wfx_cycle.yaml", "wfx_import_error_dag.py",
        "wfx_syntax_error_dag.py", "wfx_unknown_dep.yaml", "wfx_zz_dup_id.yml"]
    errors = {Path(f).name: msg for f, msg in bag.import_errors.items()}
    syntax = (mixed / "wfx_syntax_error_dag.py").resolve()
    assert errors["wfx_syntax_error_dag.py"].startswith(f"{syntax}:7:")
    assert "SyntaxError" in errors["wfx_syntax_error_dag.py"]
    imp = (mixed / "wfx_import_error_dag.py").resolve()
    assert errors["wfx_import_error_dag.py"] == (
        f"{imp}:3: ModuleNotFoundError: No module named 'edgeweave_no_such_module'")
    assert f"{mixed / 'wfx_bad_yaml.yaml'}:5:22: invalid YAML" in errors["wfx_bad_yaml.yaml"]
    assert f"{mixed / 'wfx_cycle.yaml'}:3:1: cycle: a -> b -> c -> a" in errors["wfx_cycle.yaml"]
    assert (f"{mixed / 'wfx_unknown_dep.yaml'}:7:20: task 'store' needs unknown task 'fetchh'"
            in errors["wfx_unknown_dep.yaml"])
    assert errors["wfx_zz_dup_id.yml"] == (
        f"{mixed / 'wfx_zz_dup_id.yml'}: dag_id 'ocr_service' is already defined in "
        f"{mixed / 'wfx_ocr.yaml'}; rename one of them")
    assert errors["wfx_bad_calls_dag.py"].startswith("4 errors in ")
    assert bag.files["etl"] == str(mixed / "wfx_etl_dag.py")


def test_private_files_and_helper_modules_are_not_imported(dag_tree):
    bag = DagBag.load([dag_tree / "mixed"])
    assert not any(Path(f).name in ("_private_dag.py", "wfx_helper.py") for f in bag.import_errors)


def test_get_names_known_dags_and_broken_files(dag_tree):
    bag = DagBag.load([dag_tree / "mixed"], known_operators=OPERATORS)
    assert bag.get("etl").dag_id == "etl"
    with pytest.raises(ParameterError) as info:
        bag.get("ocr")
    message = info.value.message
    assert message.startswith("unknown DAG 'ocr'; known DAGs: etl, etl_small, ocr_service;")
    assert "7 file(s) failed to load" in message and "wfx_cycle.yaml" in message


def test_missing_folders_are_noted_not_fatal(tmp_path):
    bag = DagBag.load([tmp_path / "nope", FIXTURES / "extra"])
    assert list(bag.dags) == ["extra_examples"]
    assert bag.missing_folders == [tmp_path / "nope"] and bag.import_errors == {}


def test_an_edited_file_is_reloaded(tmp_path):
    path = tmp_path / "wfx_edit_dag.py"
    body = ("from edgeweave.workflow.authoring import dag, task\n\n\n@task\ndef step():\n    return 1\n\n\n"
            "@dag(dag_id='{}')\ndef flow():\n    step()\n")
    path.write_text(body.format("first"))
    assert list(DagBag.load([tmp_path]).dags) == ["first"]
    path.write_text(body.format("second"))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert list(DagBag.load([tmp_path]).dags) == ["second"]


def test_yaml_task_code_runs_in_another_process(dag_tree):
    """A YAML python: ref is absolute, so a worker elsewhere re-imports the same file."""
    ref = DagBag.load([dag_tree / "mixed"]).get("ocr_service").tasks["scale"].callable_ref
    code = "import sys; from edgeweave.workflow.callables import resolve_callable; " \
           "print(resolve_callable(sys.argv[1])(x=21))"
    out = subprocess.run([sys.executable, "-c", code, ref], capture_output=True, text=True, timeout=60,
                         cwd="/", check=True)
    assert out.stdout.strip() == "42"


def test_unresolvable_refs_explain_the_fix(dag_tree):
    code = ("import sys\nfrom edgeweave.workflow.callables import resolve_callable\n"
            "for ref in sys.argv[1:]:\n    try:\n        resolve_callable(ref)\n"
            "    except Exception as e:\n        print(type(e).__name__, '|', e)\n")
    lib = dag_tree / "lib" / "wfx_tasklib.py"
    refs = [f"{lib}:tripple", "edgeweave_nope_mod:f", f"{dag_tree}/missing.py:f", "no_colon"]
    out = subprocess.run([sys.executable, "-c", code, *refs], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert f"DagError | {lib} has no function 'tripple'" in out
    assert "callables found: double, total" in out
    assert "cannot import module 'edgeweave_nope_mod'" in out and "PYTHONPATH" in out
    assert f"file {dag_tree}/missing.py not found" in out
    assert "invalid task code reference 'no_colon'" in out


@pytest.mark.parametrize(("env", "expected"), [
    (None, [Path("dags")]),
    ("", [Path("dags")]),
    (os.pathsep.join(["/a", "b", ""]), [Path("/a"), Path("b")]),
])
def test_default_dag_folders(monkeypatch, env, expected):
    if env is None:
        monkeypatch.delenv("EDGEWEAVE_DAGS", raising=False)
    else:
        monkeypatch.setenv("EDGEWEAVE_DAGS", env)
    assert default_dag_folders() == expected


def test_refresh_follows_added_edited_and_removed_files(tmp_path):
    folder = tmp_path / "dags"
    folder.mkdir()
    one = folder / "one.yaml"
    one.write_text("dag_id: one\ntasks: [{id: a, python: os.path:basename}]\n")
    bag = DagBag.load([folder])
    assert set(bag.dags) == {"one"} and bag.refresh() is False  # nothing changed: no reload
    (folder / "two.yaml").write_text("dag_id: two\ntasks: [{id: b, python: os.path:basename}]\n")
    held = bag.dags
    assert bag.refresh() is True and set(bag.dags) == {"one", "two"}
    assert set(held) == {"one"}  # a reader holding the old mapping keeps a consistent view
    one.write_text("dag_id: one\ntasks: [{id: a, python: os.path:basename},\n"
                   "        {id: c, python: os.path:dirname}]\n")
    os.utime(one, ns=(one.stat().st_atime_ns, one.stat().st_mtime_ns + 1_000_000))
    assert bag.refresh() and set(bag.dags["one"].tasks) == {"a", "c"}
    one.unlink()
    assert bag.refresh() and set(bag.dags) == {"two"} and not bag.import_errors


def test_a_bag_built_by_hand_never_reloads():
    assert DagBag().refresh() is False
