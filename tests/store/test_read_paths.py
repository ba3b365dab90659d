"""The API's narrow read paths (Core selects, no ORM) and migration 0002's index."""

from __future__ import annotations

from sqlalchemy import inspect, text

from edgeweave.store import repository as repo
from edgeweave.store.db import make_engine
from edgeweave.store.migrate import migrate
from edgeweave.workflow.dag import DAG, TaskSpec
from edgeweave.workflow.states import RunState


def _dag(dag_id: str) -> DAG:
    return DAG(dag_id, {"a": TaskSpec("a", callable_ref="m:f"),
                        "b": TaskSpec("b", callable_ref="m:g", upstream=["a"])})


def test_run_summaries_match_list_runs(engine):
    for i in range(5):
        repo.create_run(engine, _dag("x" if i % 2 else "y"), {"i": i}, run_id=f"r{i}")
    repo.set_run_state(engine, repo.get_run(engine, "r3").id, RunState.RUNNING)
    for kwargs in ({}, {"dag_id": "x"}, {"limit": 2, "offset": 1}, {"state": "running"},
                   {"dag_id": "y", "state": "queued"}):
        rows = repo.run_summaries(engine, **kwargs)
        orm = repo.list_runs(engine, **kwargs)
        assert [r["run_id"] for r in rows] == [r.run_id for r in orm]
        assert [r["params"] for r in rows] == [r.params for r in orm]
        assert all(r["created_at"].tzinfo is not None for r in rows)
        assert set(rows[0]) == set(repo.RUN_SUMMARY_COLUMNS)


def test_recent_run_states_per_dag_newest_first(engine):
    for i in range(8):
        repo.create_run(engine, _dag("many"), run_id=f"m{i}")
    repo.create_run(engine, _dag("one"), run_id="o0")
    repo.set_run_state(engine, repo.get_run(engine, "m7").id, RunState.RUNNING)
    recent = repo.recent_run_states(engine, per_dag=5)
    assert recent == {"many": ["running", "queued", "queued", "queued", "queued"], "one": ["queued"]}
    assert repo.recent_run_states(engine, per_dag=1)["many"] == ["running"]


def test_grid_rows_two_narrow_queries(engine):
    for i in range(4):
        repo.create_run(engine, _dag("g"), run_id=f"g{i}")
    repo.create_run(engine, _dag("other"), run_id="other0")
    runs, tis = repo.grid_rows(engine, "g", 3)
    assert [r["run_id"] for r in runs] == ["g3", "g2", "g1"]
    assert len(tis) == 6 and {t[0] for t in tis} == {r["id"] for r in runs}  # run_pk first
    assert all(len(t) == len(repo.GRID_TI_COLUMNS) for t in tis)  # no spec, no error
    assert {t[1] for t in tis} == {"a", "b"}
    assert repo.grid_rows(engine, "nothing", 3) == ([], [])


def test_migrate_upgrades_a_0001_database(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO dag_run (dag_id, run_id, state, params, trigger_source, "
                          "logical_date, created_at) VALUES ('d', 'kept', 'success', '{}', 'manual', "
                          "'2024-01-01 00:00:00', '2024-01-01 00:00:00')"))
    assert "ix_dag_run_dag_id_id" not in {i["name"] for i in inspect(engine).get_indexes("dag_run")}
    migrate(engine)
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("dag_run")}
    assert indexes["ix_dag_run_dag_id_id"] == ["dag_id", "id"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM edgeweave_alembic_version")).scalar() == "0002"
    assert repo.get_run(engine, "kept").state == "success"
    engine.dispose()


def test_dag_runs_query_uses_the_index(sqlite_engine):
    with sqlite_engine.connect() as conn:
        plan = " ".join(str(r[-1]) for r in conn.execute(text(
            "EXPLAIN QUERY PLAN SELECT run_id FROM dag_run WHERE dag_id = 'x' ORDER BY id DESC LIMIT 25")))
    assert "ix_dag_run_dag_id_id" in plan and "TEMP B-TREE" not in plan
