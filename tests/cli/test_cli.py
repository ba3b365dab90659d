"""The CLI as a user meets it: exit codes, messages, no tracebacks."""

import json
import subprocess
import sys

import numpy as np
import pytest

from edgeweave.cli.main import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_inspect_prints_io_ops_and_flops(capsys, tiny_model_path):
    code, out, _ = run(capsys, "inspect", tiny_model_path, "--shape", "x=1x3x16x16")
    assert code == 0
    assert "Conv" in out and "BatchNormalization" in out and "FLOPs:" in out
    assert "N x 3 x 16 x 16" in out


def test_inspect_json(capsys, tiny_model_path):
    code, out, _ = run(capsys, "inspect", tiny_model_path, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["inputs"][0]["dims"] == ["N", 3, 16, 16] and data["nodes"] == 6
    assert data["flops"] > 0  # dynamic batch defaults to 1


@pytest.mark.parametrize(
    ("args", "code", "match"),
    [
        (["inspect", "MISSING.onnx"], 3, "model file not found"),
        (["inspect", "{model}", "--shape", "x=1x3"], 2, "rank 2"),
        (["optimize", "{model}", "--out", "{tmp}/o", "--backends", "nope"], 2, "known backends"),
        (["optimize", "{model}", "--out", "{tmp}/o", "--tolerance", "5"], 2, "tolerance"),
        (["optimize", "{model}", "--out", "{tmp}/o", "--calib", "{tmp}/empty"], 5, "empty"),
        (["optimize", "{model}", "--out", "{tmp}/o", "--calib", "{tmp}/bad.npy"], 5, "x"),
        (["optimize", "{tmp}/bad.onnx", "--out", "{tmp}/o"], 3, "not a readable ONNX"),
        (["optimize", "zoo:nope", "--out", "{tmp}/o"], 2, "zoo"),
    ],
)
def test_bad_input_gives_a_clear_error_and_exit_code(capsys, tmp_path, tiny_model_path, args,
                                                     code, match):
    (tmp_path / "empty").mkdir()
    np.save(tmp_path / "bad.npy", np.zeros((4, 7), np.float32))
    (tmp_path / "bad.onnx").write_bytes(b"\x00\x01\x02not onnx")
    argv = [a.format(model=tiny_model_path, tmp=tmp_path) for a in args]
    got, _, err = run(capsys, *argv)
    assert got == code, err
    assert "error:" in err and match in err
    assert "Traceback" not in err
    assert not (tmp_path / "o" / "report.json").exists()


def test_console_script_runs_as_a_process(tiny_model_path):
    proc = subprocess.run([sys.executable, "-m", "edgeweave.cli.main", "inspect", "nope.onnx"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 3
    assert "model file not found" in proc.stderr and "Traceback" not in proc.stderr
