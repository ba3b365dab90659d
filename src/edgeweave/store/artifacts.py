"""Task results: small JSON values inline in the DB, everything else as content-addressed files.

A worker turns a return value into a *result ref* (a small JSON-able dict) with
:func:`to_ref`; the scheduler stores the ref in ``task_result`` and hands it to downstream
workers, which turn it back into the value with :func:`from_ref`. The DB never holds big
blobs, so there is no size limit beyond the disk (Airflow's XCom caps values at 48 KB).

How values are stored, in order of preference:
- JSON-able and <= ``INLINE_LIMIT`` bytes of JSON: inline (``kind="inline"``).
- numpy array: ``.npy`` file; round-trips exactly (dtype, shape, byte order).
- bytes: the raw bytes. A ``pathlib.Path`` to an existing file: a copy of the file, loaded
  back as the Path of the stored copy.
- larger JSON-able values: a ``.json`` file.
- anything else: pickle, as a last resort. Pickle is Python-specific, may not load under
  another version of the class's package, and must never be loaded from an untrusted
  store; return arrays, bytes, files or JSON where you can.

Files are named by the SHA-256 of their content, so equal values are stored once and a
write is atomic (temp file + rename); a reader never sees a half-written artifact.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Any

from edgeweave.config import get_settings
from edgeweave.store.errors import StoreError

INLINE_LIMIT = 64 * 1024
_JSON = "application/json"
_NPY = "application/x-npy"
_BYTES = "application/octet-stream"
_FILE = "application/x-edgeweave-file"
_PICKLE = "application/x-python-pickle"
_EXT = {_JSON: ".json", _NPY: ".npy", _BYTES: ".bin", _FILE: ".file", _PICKLE: ".pkl"}


def default_root() -> Path:
    """``$EDGEWEAVE_HOME/artifacts``."""
    return get_settings().home / "artifacts"


def _write(root: Path, data: bytes | None, content_type: str, src: Path | None = None) -> str:
    """Store bytes (or a file's content) under its hash; return the artifact key."""
    digest = hashlib.sha256()
    if src is not None:
        with open(src, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    else:
        digest.update(data or b"")
    key = digest.hexdigest() + _EXT[content_type]
    path = root / key[:2] / key
    if path.exists():
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            if src is not None:
                with open(src, "rb") as sfh:
                    shutil.copyfileobj(sfh, fh, 1 << 20)
            else:
                fh.write(data or b"")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return key


def artifact_path(key: str, root: str | Path | None = None) -> Path:
    """Where the artifact ``key`` lives (it may not exist)."""
    if "/" in key or "\\" in key or key.startswith("."):
        raise StoreError(f"invalid artifact key {key!r}")
    return Path(root or default_root()) / key[:2] / key


def _artifact_ref(key: str, size: int, content_type: str) -> dict[str, Any]:
    return {"kind": "artifact", "key": key, "size": size, "content_type": content_type}


def to_ref(value: Any, root: str | Path | None = None, inline_limit: int = INLINE_LIMIT) -> dict[str, Any]:
    """Store ``value`` as cheaply as its type allows; return its (JSON-able) result ref."""
    root = Path(root or default_root())
    mod = type(value).__module__
    if mod == "numpy" and type(value).__name__ == "ndarray":
        import numpy as np

        if value.dtype.hasobject:  # object arrays would need pickle inside .npy
            return _pickled(value, root)
        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)
        data = buf.getvalue()
        return _artifact_ref(_write(root, data, _NPY), len(data), _NPY)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return _artifact_ref(_write(root, data, _BYTES), len(data), _BYTES)
    if isinstance(value, Path) and value.is_file():
        return _artifact_ref(_write(root, None, _FILE, src=value), value.stat().st_size, _FILE)
    try:
        text = json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        return _pickled(value, root)
    if json.loads(text) != value:  # tuples, non-str keys, ...: JSON would change the value
        return _pickled(value, root)
    size = len(text.encode())
    if size <= inline_limit:
        return {"kind": "inline", "value": value, "size": size, "content_type": _JSON}
    data = text.encode()
    return _artifact_ref(_write(root, data, _JSON), len(data), _JSON)


def _pickled(value: Any, root: Path) -> dict[str, Any]:
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        raise StoreError(f"cannot store a task result of type {type(value).__name__}: {exc}",
                         "return JSON-able data, a numpy array, bytes or a pathlib.Path "
                         "to a file") from exc
    return _artifact_ref(_write(root, data, _PICKLE), len(data), _PICKLE)


def from_ref(ref: dict[str, Any] | None, root: str | Path | None = None) -> Any:
    """The value a result ref stands for (None for a missing ref)."""
    if ref is None:
        return None
    if ref.get("kind") == "inline":
        return ref.get("value")
    if ref.get("kind") != "artifact":
        raise StoreError(f"unknown result kind {ref.get('kind')!r}")
    path = artifact_path(ref["key"], root)
    if not path.is_file():
        raise StoreError(f"artifact {ref['key']} is missing from {path.parent}",
                         "the artifact folder (EDGEWEAVE_HOME/artifacts) must be shared by every "
                         "worker and kept; re-run the upstream task to recreate it")
    ctype = ref.get("content_type")
    if ctype == _NPY:
        import numpy as np

        return np.load(path, allow_pickle=False)
    if ctype == _FILE:
        return path
    data = path.read_bytes()
    if ctype == _BYTES:
        return data
    if ctype == _JSON:
        return json.loads(data)
    if ctype == _PICKLE:
        return pickle.loads(data)
    raise StoreError(f"artifact {ref['key']} has unknown content type {ctype!r}")
