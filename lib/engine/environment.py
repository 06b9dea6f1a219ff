"""What a run's numbers depend on beyond its seed: versions, CPU, vector kernels, threads."""
import platform
from pathlib import Path

import numba
import numpy
import scipy
import torch


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def describe() -> dict:
    """Versions and the machine facts that can change low-order digits of float32 work."""
    return {
        "python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__,
        "scipy": scipy.__version__, "numba": numba.__version__, "platform": platform.platform(), "cpu": cpu_model(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(), "torch_threads": torch.get_num_threads(),
        "numba_threads": numba.get_num_threads(),
    }
