"""Accuracy metrics: top-1 against labels, and agreement of a variant with the FP32 baseline."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel


class Agreement(BaseModel):
    """How closely a variant's outputs follow the baseline's on the same inputs.

    ``top1`` is set when the first output looks like class scores ([N, C] or [N, 1, C]).
    ``cosine`` is the mean per-sample cosine similarity over all outputs, ``max_abs_error``
    the largest absolute difference anywhere.
    """

    top1: float | None
    cosine: float
    max_abs_error: float

    @property
    def score(self) -> float:
        """One number for tolerance checks: top-1 agreement where defined, else cosine."""
        return self.top1 if self.top1 is not None else self.cosine


def _as_class_scores(array: np.ndarray) -> np.ndarray | None:
    """[N, C] view of a stacked output if it is a classification head, else None."""
    squeezed = array.reshape(array.shape[0], -1) if array.ndim >= 2 else None
    if squeezed is None:
        return None
    spatial = [d for d in array.shape[1:-1] if d != 1]
    if spatial or array.shape[-1] < 2:
        return None
    return squeezed


def top1_accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of samples whose arg-max class equals the label."""
    flat = _as_class_scores(np.asarray(scores))
    if flat is None:
        raise ValueError(f"top-1 needs class scores shaped [N, C]; got {scores.shape}")
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(flat):
        raise ValueError(f"{len(labels)} labels for {len(flat)} samples")
    return float((flat.argmax(axis=1) == labels).mean())


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over samples (axis 0) of the cosine similarity of the flattened samples."""
    x = np.asarray(a, dtype=np.float64).reshape(a.shape[0], -1)
    y = np.asarray(b, dtype=np.float64).reshape(b.shape[0], -1)
    num = (x * y).sum(axis=1)
    den = np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1)
    both_zero = den == 0
    sims = np.where(both_zero, np.where(np.abs(x - y).max(axis=1) == 0, 1.0, 0.0),
                    num / np.where(both_zero, 1.0, den))
    return float(sims.mean())


def agreement(reference: list[np.ndarray], candidate: list[np.ndarray]) -> Agreement:
    """Compare stacked outputs (axis 0 = sample) of a variant with the baseline's."""
    if len(reference) != len(candidate):
        raise ValueError(f"baseline has {len(reference)} outputs, variant {len(candidate)}")
    cos = float(np.mean([cosine_similarity(r, c) for r, c in zip(reference, candidate)]))
    err = max(float(np.abs(r.astype(np.float64) - c.astype(np.float64)).max()) if r.size else 0.0
              for r, c in zip(reference, candidate))
    top1 = None
    ref_scores = _as_class_scores(reference[0])
    if ref_scores is not None:
        cand_scores = candidate[0].reshape(candidate[0].shape[0], -1)
        top1 = float((ref_scores.argmax(axis=1) == cand_scores.argmax(axis=1)).mean())
    return Agreement(top1=top1, cosine=cos, max_abs_error=err)
