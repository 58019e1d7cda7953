"""Which torch (and onnxruntime) build suits this machine: CPU where no NVIDIA GPU is seen, CUDA where one is.

PyPI's default torch differs per OS: on Linux x86_64 it is the CUDA build (with several GB of nvidia-* wheels), on
Windows and macOS it is CPU-only (macOS: CPU and Apple MPS). PyTorch's own indexes hold the other builds.
"""

from __future__ import annotations

import shutil
import subprocess  # nosec B404 # nvidia-smi's GPU query, argv list, no shell
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .python_layout import PythonLayout

PYTORCH_INDEX = "https://download.pytorch.org/whl"
PYPI_INDEX = "https://pypi.org/simple"
TORCH = "torch>=2.6,<2.14"


@dataclass(frozen=True)
class Gpu:
    name: str
    driver: str
    compute_cap: str = ""


@dataclass(frozen=True)
class TorchChoice:
    """What to install and why, shown to the user before the install starts."""

    build: str  # "cpu" or "cuda"
    requirements: tuple[str, ...]  # torch and the matching onnxruntime
    index_args: tuple[str, ...] = ()  # pip arguments naming PyTorch's index
    reason: str = ""
    notes: tuple[str, ...] = field(default=())


def nvidia_smi_path(layout: PythonLayout) -> str | None:
    found = shutil.which("nvidia-smi")
    if found or layout.platform != "win32":
        return found
    for candidate in (Path("C:/Windows/System32/nvidia-smi.exe"),
                      Path("C:/Program Files/NVIDIA Corporation/NVSMI/nvidia-smi.exe")):
        if candidate.is_file():
            return str(candidate)
    return None


def parse_nvidia_smi(output: str) -> list[Gpu]:
    """Rows of `nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader`."""
    gpus = []
    for line in output.splitlines():
        parts = [part.strip() for part in line.split(",")]
        if len(parts) >= 2 and parts[0] and parts[1][:1].isdigit():
            gpus.append(Gpu(parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
    return gpus


def nvidia_gpus(layout: PythonLayout | None = None, run: Callable = subprocess.run) -> list[Gpu]:
    """GPUs the NVIDIA driver reports; none when nvidia-smi is absent or fails (then CPU torch is right)."""
    tool = nvidia_smi_path(layout or PythonLayout.current())
    if not tool:
        return []
    try:
        done = run([tool, "--query-gpu=name,driver_version,compute_cap", "--format=csv,noheader"],
                   capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_nvidia_smi(done.stdout) if done.returncode == 0 else []


def cuda_tag_for_driver(driver: str) -> str | None:
    """PyTorch CUDA wheel tag this driver runs: CUDA 13 needs driver 580+, CUDA 12.8 runs on 525+ (minor version
    compatibility) and covers Blackwell (sm_120); older drivers get the CPU build."""
    try:
        major = int(driver.split(".")[0])
    except ValueError:
        return None
    if major >= 580:
        return "cu130"
    if major >= 525:
        return "cu128"
    return None


def index_reachable(url: str, timeout: float = 4.0, proxy: str | None = None) -> bool:
    """A quick GET of the index's torch page: PyTorch's index is blocked on many corporate and offline networks."""
    handlers = [urllib.request.ProxyHandler({"http": proxy, "https": proxy})] if proxy else []
    try:
        with urllib.request.build_opener(*handlers).open(url.rstrip("/") + "/torch/", timeout=timeout) as response:
            return 200 <= response.status < 400
    except (OSError, ValueError):
        return False


def choose_torch(layout: PythonLayout, gpus: list[Gpu], reachable: Callable[[str], bool]) -> TorchChoice:
    """The torch/onnxruntime pair for this machine; `reachable(url)` probes an index (injected for tests)."""
    extra = ("--extra-index-url", PYPI_INDEX)
    if layout.os_name == "macos":
        return TorchChoice("cpu", (TORCH, "onnxruntime"), reason="macOS: PyPI's torch runs on the CPU and on Apple "
                           "GPUs (MPS); ONNX Runtime runs on the CPU")
    gpu = gpus[0] if gpus else None
    tag = cuda_tag_for_driver(gpu.driver) if gpu else None
    if gpu and tag and layout.arch == "x86_64":
        url = f"{PYTORCH_INDEX}/{tag}"
        seen = f"nvidia-smi sees {gpu.name} (driver {gpu.driver})"
        if reachable(url):
            return TorchChoice("cuda", (TORCH, "onnxruntime-gpu"), ("--index-url", url, *extra),
                               reason=f"{seen}: CUDA build of torch from {url} and onnxruntime-gpu")
        if layout.os_name == "linux":
            return TorchChoice("cuda", (TORCH, "onnxruntime-gpu"), reason=f"{seen}; {url} is unreachable: PyPI's "
                               "torch, which on Linux is the CUDA build")
        return TorchChoice("cpu", (TORCH, "onnxruntime"), reason=f"{seen}, but {url} is unreachable and PyPI's "
                           "Windows torch is CPU-only: CPU build")
    why = "no NVIDIA GPU seen (nvidia-smi)" if not gpu else f"{gpu.name}'s driver {gpu.driver} is too old for CUDA 12"
    if layout.os_name == "linux" and layout.arch == "x86_64":
        url = f"{PYTORCH_INDEX}/cpu"
        if reachable(url):
            return TorchChoice("cpu", (TORCH, "onnxruntime"), ("--index-url", url, *extra),
                               reason=f"{why}: CPU build of torch from {url} (a few hundred MB)")
        return TorchChoice("cpu", (TORCH, "onnxruntime"), reason=f"{why}; {url} is unreachable, so pip takes torch "
                           "from PyPI and its own configuration", notes=(
                               "On Linux x86_64 PyPI's torch is the CUDA build (several GB, it also runs on the CPU) "
                               "unless pip is configured with a CPU wheel; a folder of wheels made with "
                               "`make wheelhouse` avoids the download.",))
    return TorchChoice("cpu", (TORCH, "onnxruntime"), reason=f"{why}: PyPI's torch for {layout.os_name} "
                       f"{layout.arch} is the CPU build")
