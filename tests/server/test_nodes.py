"""GET /nodes: the hosts that ran tasks, and this host with its device profile."""

from __future__ import annotations

import socket

from sqlalchemy import update

from edgeweave.store.tables import ti_table


def test_nodes_lists_this_host_first_with_its_device(api):
    (node,) = api.get("/api/v1/nodes", role="viewer").json()
    assert node["hostname"] == socket.gethostname() and node["this_host"]
    assert node["tasks_run"] == 0 and node["device"]["logical_cores"] >= 1


def test_nodes_counts_the_tries_each_host_ran(api, run_dag):
    for _ in range(2):
        assert api.post("/api/v1/dags/tiny/runs", json={"params": {}}).status_code == 201
    run_dag()
    with api.engine.begin() as conn:  # as if a worker on another host had run one try
        first = conn.execute(ti_table.select().limit(1)).first()
        conn.execute(update(ti_table).where(ti_table.c.id == first.id).values(hostname="jetson-07"))
    nodes = {n["hostname"]: n for n in api.get("/api/v1/nodes").json()}
    assert nodes[socket.gethostname()]["tasks_run"] == 3 and nodes["jetson-07"]["tasks_run"] == 1
    assert nodes["jetson-07"]["device"] is None and nodes["jetson-07"]["last_task_at"]


def test_nodes_needs_a_token(api):
    assert api.client.get("/api/v1/nodes").status_code == 401
