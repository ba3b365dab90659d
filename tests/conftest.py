import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from builders import conv_bn_relu_model, save  # noqa: E402


@pytest.fixture
def tiny_model_path(tmp_path):
    """A small valid conv classifier saved as ONNX (dynamic batch, 3x16x16 input)."""
    return save(conv_bn_relu_model(), tmp_path / "tiny.onnx")
