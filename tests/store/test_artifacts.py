"""Result refs: small JSON inline, arrays/bytes/files/large values as content-addressed files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgeweave.store import repository as repo
from edgeweave.store.artifacts import INLINE_LIMIT, artifact_path, from_ref, to_ref
from edgeweave.store.errors import StoreError
from edgeweave.workflow.dag import DAG, TaskSpec


@pytest.mark.parametrize("value", [None, 3, 2.5, "text", [1, "a", None], {"a": {"b": [True]}}])
def test_small_json_is_inline(value, tmp_path):
    ref = to_ref(value, tmp_path)
    assert ref["kind"] == "inline"
    assert from_ref(ref, tmp_path) == value
    assert not any(tmp_path.iterdir())


def test_large_json_goes_to_a_file(tmp_path):
    value = {"rows": ["x" * 100] * (INLINE_LIMIT // 50)}
    ref = to_ref(value, tmp_path)
    assert ref["kind"] == "artifact" and ref["content_type"] == "application/json"
    assert ref["size"] > INLINE_LIMIT
    assert from_ref(ref, tmp_path) == value


@pytest.mark.parametrize("arr", [
    np.arange(12, dtype=np.int16).reshape(3, 4),
    np.asfortranarray(np.random.default_rng(1).random((5, 3))),
    np.array([1.5, np.nan, -np.inf], dtype=">f8"),
    np.zeros((0, 3), dtype=np.uint8),
])
def test_numpy_roundtrips_exactly(arr, tmp_path):
    back = from_ref(to_ref(arr, tmp_path), tmp_path)
    assert back.dtype == arr.dtype and back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)


def test_bytes_file_and_pickle(tmp_path):
    assert from_ref(to_ref(b"\x00\x01raw", tmp_path), tmp_path) == b"\x00\x01raw"
    src = tmp_path / "model.onnx"
    src.write_bytes(b"onnx-bytes")
    stored = from_ref(to_ref(src, tmp_path / "store"), tmp_path / "store")
    assert isinstance(stored, Path) and stored.read_bytes() == b"onnx-bytes" and stored != src
    for value in [(1, 2), {1: "int key"}, {3, 4}, complex(1, 2)]:
        ref = to_ref(value, tmp_path)
        assert ref["content_type"] == "application/x-python-pickle"
        assert from_ref(ref, tmp_path) == value


def test_same_content_is_stored_once(tmp_path):
    a = to_ref(np.ones(1000), tmp_path)
    b = to_ref(np.ones(1000), tmp_path)
    assert a["key"] == b["key"]
    assert len(list(artifact_path(a["key"], tmp_path).parent.iterdir())) == 1


def test_missing_artifact_and_bad_key(tmp_path):
    ref = to_ref(b"gone", tmp_path)
    artifact_path(ref["key"], tmp_path).unlink()
    with pytest.raises(StoreError, match="missing"):
        from_ref(ref, tmp_path)
    with pytest.raises(StoreError, match="invalid artifact key"):
        artifact_path("../../etc/passwd", tmp_path)


def test_unpicklable_value_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="cannot store a task result"):
        to_ref(lambda: 1, tmp_path)


def test_20mb_array_through_the_store(sqlite_engine, tmp_path):
    """No 48 KB ceiling: a ~20 MB array goes through to_ref, the DB row and back."""
    arr = np.random.default_rng(2).random(2_500_000)
    assert arr.nbytes == 20_000_000
    run = repo.create_run(sqlite_engine, DAG("d", {"a": TaskSpec("a", callable_ref="m:f")}))
    (ti,) = repo.task_instances(sqlite_engine, run.run_id)
    ref = to_ref(arr, tmp_path)
    assert ref["size"] > 20_000_000
    repo.save_result(sqlite_engine, ti.id, 1, ref)
    np.testing.assert_array_equal(repo.load_result(sqlite_engine, ti.id, str(tmp_path)), arr)
