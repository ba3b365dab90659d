"""How a variant's accuracy is scored: a real metric, top-1 on labels, or FP32 agreement.

One ``Evaluator`` serves both the measured variants (whose eval outputs come back from the
measuring process) and the accuracy-aware fallback (which scores models in-process).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from edgeweave.runtime.backends import BackendOptions, Session, get_backend
from edgeweave.runtime.device import detect_device
from edgeweave.runtime.isolated import load_metric
from edgeweave.runtime.metrics import Agreement, agreement, top1_accuracy

Shapes = dict[str, tuple[int, ...]]


@dataclass
class Evaluator:
    """``mode``: 'metric' (``metric`` is module:function), 'top1' (``labels``) or 'agreement'.

    For 'top1' and 'agreement', ``samples`` are the evaluation inputs (axis 0 = sample);
    'agreement' compares with ``reference`` (the FP32 baseline's outputs), set once the
    baseline has run.
    """

    mode: str
    description: str
    samples: dict[str, np.ndarray] | None = None
    labels: np.ndarray | None = None
    metric: str | None = None
    reference: list[np.ndarray] | None = None

    @property
    def metric_name(self) -> str:
        return {"metric": f"metric {self.metric}", "top1": "top-1 accuracy",
                "agreement": "agreement with FP32 (top-1 if classifier, else cosine)"}[self.mode]

    def score_outputs(self, outputs: list[np.ndarray]) -> tuple[float, Agreement | None]:
        """Accuracy from stacked eval outputs (plus agreement when a reference exists)."""
        agree = agreement(self.reference, outputs) if self.reference is not None else None
        if self.mode == "top1":
            return top1_accuracy(outputs[0], self.labels), agree  # type: ignore[arg-type]
        if agree is None:
            raise ValueError("agreement needs the baseline's outputs first")
        return agree.score, agree

    def run_samples(self, session: Session) -> list[np.ndarray]:
        assert self.samples is not None
        count = len(next(iter(self.samples.values())))
        per_sample = [session.run({k: v[i] for k, v in self.samples.items()}) for i in range(count)]
        return [np.stack([o[j] for o in per_sample]) for j in range(len(per_sample[0]))]

    def score_session(self, session: Session, shapes: Shapes) -> float:
        """Accuracy of a loaded session (used in-process by the fallback search)."""
        if self.mode == "metric":
            return float(load_metric(self.metric)(session, shapes))  # type: ignore[arg-type]
        return self.score_outputs(self.run_samples(session))[0]

    def score_model(self, model: onnx.ModelProto, backend: str, shapes: Shapes,
                    threads: int = 0) -> float:
        """Save ``model`` to a temp file, load it on ``backend`` and score it."""
        with tempfile.TemporaryDirectory(prefix="edgeweave-eval-") as tmp:
            path = Path(tmp) / "model.onnx"
            onnx.save(model, str(path))
            session = get_backend(backend).load(path, detect_device(),
                                                BackendOptions(threads, dict(shapes)))
            return self.score_session(session, shapes)

    def job_fields(self, eval_npz: Path | None) -> dict[str, Any]:
        """What the measuring process needs to produce this evaluator's inputs."""
        if self.mode == "metric":
            return {"metric": self.metric}
        return {"eval_npz": str(eval_npz) if eval_npz else None}
