"""AI operators: ``optimize_model`` (search + register the best variant) and ``infer``.

Both take and return plain data (strings, numbers, numpy arrays, dicts), so they run the
same in a thread, a process or on a remote node; large arrays travel through the artifact
store by reference, not through the database.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy loads with the first model run, not with every DAG bag
    import numpy as np

from edgeweave.config import get_settings
from edgeweave.errors import ParameterError
from edgeweave.workflow.operators import register_operator


@register_operator("optimize_model")
def optimize_model(model: str, name: str, calib: str | None = None, eval: str | None = None,  # noqa: A002
                   tolerance: float = 0.01, backends: list[str] | None = None,
                   shapes: dict[str, list[int]] | None = None,
                   time_budget: float | None = None) -> dict[str, Any]:
    """Optimize ``model`` (path or zoo:NAME) and register its best variant as ``name``.

    Returns the registry entry (name, version, backend, speedup, accuracy, report path).
    """
    from edgeweave.models.registry import ModelRegistry
    from edgeweave.optimize.api import optimize

    out = get_settings().home / "optimize" / name / time.strftime("%Y%m%dT%H%M%S")
    report = optimize(model, out, calib=calib, eval=eval, tolerance=tolerance, backends=backends,
                      shapes={k: tuple(v) for k, v in (shapes or {}).items()},
                      time_budget_s=time_budget)
    entry = ModelRegistry().register(name, (out / "report.json").read_text(), out)
    print(f"registered {name} v{entry.version}: {report.best} ({report.reason})")
    return {**entry.model_dump(), "report": str(out / "report.json"), "best": report.best}


def load_registered(model: str | dict[str, Any], backend: str | None = None) -> tuple[Any, Any]:
    """A session for registry model ``name`` / ``name:version`` (or an optimize_model result)."""
    from edgeweave.models.registry import ModelRegistry
    from edgeweave.runtime.backends import BackendOptions, require_backend
    from edgeweave.runtime.device import detect_device

    if isinstance(model, dict):
        name, version = model["name"], model["version"]
    else:
        name, _, version = str(model).partition(":")
    entry = ModelRegistry().get(name, version or "latest")
    chosen = backend or entry.backend
    options = BackendOptions(shapes={k: tuple(v) for k, v in entry.shapes.items()},
                             compute_precision=entry.compute_precision if chosen == entry.backend
                             else "exact")
    session = require_backend(chosen, detect_device()).load(Path(entry.path), detect_device(),
                                                             options)
    return entry, session


@register_operator("infer")
def infer(model: str | dict[str, Any], inputs: Any, backend: str | None = None) -> dict[str, Any]:
    """Run a registered model on a batch: ``inputs`` is an array (axis 0 = sample, for a
    single-input model), a dict of such arrays, or a path to an .npz / .npy file.

    Returns {"outputs": [stacked arrays], "samples": N, "seconds": s, "fps": N/s}.
    """
    import numpy as np

    entry, session = load_registered(model, backend)
    samples = _as_samples(inputs, session.input_names)
    count = len(next(iter(samples.values())))
    start = time.perf_counter()
    per_sample = [session.run({k: _fit(v[i], entry.shapes.get(k)) for k, v in samples.items()})
                  for i in range(count)]
    seconds = time.perf_counter() - start
    outputs = [np.stack([o[j] for o in per_sample]) for j in range(len(per_sample[0]))]
    return {"outputs": outputs, "samples": count, "seconds": seconds,
            "fps": count / seconds if seconds > 0 else None, "model": f"{entry.name}:{entry.version}"}


def _as_samples(inputs: Any, names: list[str]) -> dict[str, np.ndarray]:
    import numpy as np

    if isinstance(inputs, str | Path):
        path = Path(inputs)
        if not path.exists():
            raise ParameterError(f"infer: input file {path} does not exist")
        if path.suffix == ".npy":
            inputs = np.load(path, allow_pickle=False)
        else:
            with np.load(path, allow_pickle=False) as data:
                inputs = {k: data[k] for k in data.files}
    if isinstance(inputs, np.ndarray | list):
        if len(names) != 1:
            raise ParameterError(f"infer: the model has inputs {names}; pass a dict of arrays")
        return {names[0]: np.asarray(inputs, dtype=np.float32)}
    if isinstance(inputs, dict):
        missing = sorted(set(names) - set(inputs))
        if missing:
            raise ParameterError(f"infer: missing input(s) {missing}; the model needs {names}")
        return {k: np.asarray(inputs[k]) for k in names}
    raise ParameterError(f"infer: inputs must be an array, a dict of arrays or a file path; "
                         f"got {type(inputs).__name__}")


def _fit(sample: np.ndarray, shape: list[int] | None) -> np.ndarray:
    """A sample without its batch axis gets one back (the model runs at batch 1)."""
    if shape is not None and sample.ndim == len(shape) - 1:
        return sample[None]
    return sample
