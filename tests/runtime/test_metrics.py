import numpy as np
import pytest

from edgeweave.runtime.metrics import agreement, cosine_similarity, top1_accuracy


def test_top1_accuracy_counts_matching_argmax():
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    assert top1_accuracy(scores, np.array([1, 0, 0, 0])) == 0.75
    with pytest.raises(ValueError, match="labels"):
        top1_accuracy(scores, np.array([1, 0]))


def test_agreement_of_identical_outputs_is_perfect():
    a = np.random.default_rng(0).random((6, 1, 10))
    agree = agreement([a], [a.copy()])
    assert agree.top1 == 1.0 and agree.cosine == pytest.approx(1.0) and agree.max_abs_error == 0


def test_agreement_detects_flipped_predictions():
    a = np.array([[[0.9, 0.1]], [[0.2, 0.8]]])
    b = np.array([[[0.1, 0.9]], [[0.2, 0.8]]])
    agree = agreement([a], [b])
    assert agree.top1 == 0.5 and agree.score == 0.5
    assert agree.max_abs_error == pytest.approx(0.8)


def test_dense_outputs_use_cosine():
    a = np.random.default_rng(0).random((3, 1, 8, 8))
    agree = agreement([a], [a + 0.01])
    assert agree.top1 is None and 0.99 < agree.score <= 1.0
    assert cosine_similarity(np.zeros((2, 4)), np.zeros((2, 4))) == 1.0
