import pytest

from edgeweave.errors import (
    BackendUnavailableError,
    CalibrationDataError,
    EdgeWeaveError,
    InvalidModelError,
    OutputError,
    ParameterError,
    exit_code,
    http_status,
)


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (InvalidModelError("x"), 3, 422),
        (ParameterError("x"), 2, 400),
        (CalibrationDataError("x"), 5, 422),
        (BackendUnavailableError("x"), 6, 409),
        (OutputError("x"), 7, 500),
        (EdgeWeaveError("x"), 1, 400),
    ],
)
def test_each_error_maps_to_one_exit_code_and_http_status(error, code, status):
    assert exit_code(error) == code
    assert http_status(error) == status


def test_message_includes_hint():
    text = str(ParameterError("bad --shape", "use NAME=1x3x224x224"))
    assert "bad --shape" in text and "hint: use NAME=1x3x224x224" in text
