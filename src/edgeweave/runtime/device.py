"""DeviceProfile: what this machine can run fast (CPU ISA, cores, memory, GPUs, runtimes)."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import subprocess
from functools import lru_cache

import psutil
from pydantic import BaseModel

ISA_FLAGS = {
    "avx2": "AVX2",
    "fma": "FMA",
    "f16c": "F16C",
    "avx512f": "AVX-512",
    "avx512_vnni": "AVX512-VNNI",
    "avx_vnni": "AVX-VNNI",
    "avx512_bf16": "AVX512-BF16",
    "avx512_fp16": "AVX512-FP16",
    "amx_tile": "AMX",
    "amx_int8": "AMX-INT8",
    "amx_bf16": "AMX-BF16",
    "asimd": "NEON",
    "asimddp": "NEON-DOTPROD",
}
RUNTIME_PACKAGES = {
    "onnxruntime": ("onnxruntime", "onnxruntime-gpu", "onnxruntime-openvino"),
    "openvino": ("openvino",),
    "tensorrt": ("tensorrt",),
    "torch": ("torch",),
}


class DeviceProfile(BaseModel):
    """Detected once per process; reported with every optimization result."""

    hostname: str
    os: str
    arch: str
    cpu_model: str
    physical_cores: int
    logical_cores: int
    isa: list[str]
    memory_gb: float
    gpus: list[str]
    runtimes: dict[str, str]
    ort_providers: list[str]

    def has(self, feature: str) -> bool:
        """True if the CPU has ``feature`` (an entry of ``isa``, e.g. 'AVX512-VNNI')."""
        return feature in self.isa


def _cpu_info() -> tuple[str, set[str]]:
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("model name", "Model", "Hardware") and model in ("", platform.machine()):
                    model = value.strip()
                elif key in ("flags", "Features") and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return model or "unknown", flags


def _gpus() -> list[str]:
    if not shutil.which("nvidia-smi"):
        return []
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


def _runtimes() -> dict[str, str]:
    found: dict[str, str] = {}
    for runtime, dists in RUNTIME_PACKAGES.items():
        for dist in dists:
            try:
                found[runtime] = importlib.metadata.version(dist)
                break
            except importlib.metadata.PackageNotFoundError:
                continue
    return found


def _ort_providers() -> list[str]:
    try:
        import onnxruntime as ort
    except ImportError:
        return []
    return list(ort.get_available_providers())


@lru_cache(maxsize=1)
def detect_device() -> DeviceProfile:
    """Profile of the machine this process runs on (cached: hardware does not change)."""
    model, flags = _cpu_info()
    return DeviceProfile(
        hostname=platform.node(),
        os=f"{platform.system()} {platform.release()}",
        arch=platform.machine(),
        cpu_model=model,
        physical_cores=psutil.cpu_count(logical=False) or os.cpu_count() or 1,
        logical_cores=psutil.cpu_count(logical=True) or os.cpu_count() or 1,
        isa=[name for flag, name in ISA_FLAGS.items() if flag in flags],
        memory_gb=round(psutil.virtual_memory().total / 2**30, 1),
        gpus=_gpus(),
        runtimes=_runtimes(),
        ort_providers=_ort_providers(),
    )
