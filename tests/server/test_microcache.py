"""The Grid micro-cache: a Grid is at most ttl old; no-cache and ttl=0 always read the store."""

from __future__ import annotations

import time

from edgeweave.server import create_app
from edgeweave.server.microcache import MicroCache, ttl_from_env

GRID = "/api/v1/dags/tiny/grid"


def test_grid_bodies_are_shared_for_the_ttl_then_refreshed(api):
    api.client.app.state.edgeweave.grid_cache = MicroCache(ttl_s=0.3)
    first = api.get(GRID)
    assert first.headers["x-edgeweave-cache"] == "miss" and first.json()["runs"] == []
    api.post("/api/v1/dags/tiny/runs", json={"params": {}})
    cached = api.get(GRID)
    assert cached.headers["x-edgeweave-cache"] == "hit" and cached.json()["runs"] == []
    fresh = api.client.get(GRID, headers={**api.headers(), "Cache-Control": "no-cache"})
    assert fresh.headers["x-edgeweave-cache"] == "miss" and len(fresh.json()["runs"]) == 1
    time.sleep(0.35)
    later = api.get(GRID)
    assert later.headers["x-edgeweave-cache"] == "miss" and len(later.json()["runs"]) == 1


def test_keys_include_the_number_of_runs(api):
    assert api.get(f"{GRID}?runs=5").headers["x-edgeweave-cache"] == "miss"
    assert api.get(f"{GRID}?runs=6").headers["x-edgeweave-cache"] == "miss"
    assert api.get(f"{GRID}?runs=5").headers["x-edgeweave-cache"] == "hit"


def test_ttl_zero_turns_caching_off(api):
    app = create_app(api.engine, api.client.app.state.edgeweave.bag, auth=api.auth, grid_cache_s=0)
    with api.client.__class__(app) as client:
        for _ in range(2):
            resp = client.get(GRID, headers=api.headers())
            assert resp.status_code == 200 and resp.headers["x-edgeweave-cache"] == "miss"


def test_ttl_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("EDGEWEAVE_GRID_CACHE_S", "0")
    assert ttl_from_env() == 0
    monkeypatch.setenv("EDGEWEAVE_GRID_CACHE_S", "junk")
    assert ttl_from_env() == 1.0
    cache = MicroCache(ttl_s=10, max_entries=2)
    for key in "abc":
        cache.put(key, key.encode())
    assert cache.get("a") is None and cache.get("c") == b"c"
