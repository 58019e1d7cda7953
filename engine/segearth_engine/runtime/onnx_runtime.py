"""ONNX Runtime sessions: CUDA when it really works, CPU otherwise, and an honest device string.

On CUDA, `Session.run_bound` runs through IO binding: inputs may be torch CUDA tensors and chosen outputs are written
into torch CUDA tensors, so features go from the encoder to the LLM and the decoder without visiting the host.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segearth_engine.errors import Cancelled, ModelFilesError, SegEarthError

log = logging.getLogger(__name__)
CUDA = "CUDAExecutionProvider"
GPU_MEM_LIMIT_ENV = "SEGEARTH_GPU_MEM_LIMIT_MB"


@dataclass
class Session:
    session: Any
    provider: str
    path: Path

    @property
    def metadata(self) -> dict[str, str]:
        return dict(self.session.get_modelmeta().custom_metadata_map)

    def run(self, feeds: dict[str, Any], is_cancelled: Callable[[], bool] | None = None) -> dict[str, Any]:
        """The outputs by name; Cancelled within ~`CANCEL_POLL_S` of `is_cancelled()` turning true (interrupted)."""
        names = [o.name for o in self.session.get_outputs()]
        options = run_options()
        with interruptible(options, is_cancelled):
            values = self.session.run(names, feeds, options)
        return dict(zip(names, values, strict=True))

    @property
    def device_bound(self) -> bool:
        """True when this session runs on CUDA and torch can hold its tensors there (IO binding possible)."""
        return self.provider == CUDA and torch_cuda() is not None

    def run_bound(self, feeds: dict[str, Any], device_outputs: Iterable[str] = (),
                  is_cancelled: Callable[[], bool] | None = None) -> dict[str, Any]:
        """Run through IO binding: feeds are numpy arrays (copied in) or torch CUDA tensors (used in place); the
        outputs named in `device_outputs` come back as torch CUDA tensors, the others as numpy arrays. Cancelled as
        `run`."""
        import numpy as np

        torch = torch_cuda()
        if torch is None or self.provider != CUDA:
            raise SegEarthError("IO binding needs a CUDA session and torch with CUDA")
        device_id = cuda_device_id(self.session)
        binding = self.session.io_binding()
        keep = []  # tensors whose memory ONNX Runtime reads or writes: alive until the run is over
        from_torch = False
        for name, value in feeds.items():
            if isinstance(value, np.ndarray):
                binding.bind_cpu_input(name, np.ascontiguousarray(value))
                continue
            tensor = value.to(f"cuda:{device_id}", torch.float32).contiguous()
            keep.append(tensor)
            from_torch = True
            binding.bind_input(name, "cuda", device_id, np.float32, list(tensor.shape), tensor.data_ptr())
        on_device = set(device_outputs)
        outputs: dict[str, Any] = {}
        for node in self.session.get_outputs():
            static = all(isinstance(d, int) for d in node.shape)
            if node.name in on_device and static and node.type == "tensor(float)":
                tensor = torch.empty(node.shape, dtype=torch.float32, device=f"cuda:{device_id}")
                outputs[node.name] = tensor
                binding.bind_output(node.name, "cuda", device_id, np.float32, list(tensor.shape), tensor.data_ptr())
            else:  # host output (or a dynamic shape we cannot preallocate): ONNX Runtime copies it back
                binding.bind_output(node.name, "cpu")
        if from_torch:  # torch wrote the inputs on its own stream; ONNX Runtime reads them on its stream
            torch.cuda.current_stream(device_id).synchronize()
        options = run_options()
        with interruptible(options, is_cancelled):
            self.session.run_with_iobinding(binding, options)  # synchronises ONNX Runtime's stream on return
        names = [o.name for o in self.session.get_outputs()]
        for name, value in zip(names, binding.get_outputs(), strict=True):
            if name not in outputs:
                outputs[name] = value.numpy()
        del keep
        return outputs


def cuda_unavailable() -> str | None:
    """None when the CUDA path can run here (ONNX Runtime's CUDA provider and torch with CUDA: ONNX Runtime runs the
    graphs, torch holds the features on the device and runs the LLM), else why not."""
    try:
        import onnxruntime
    except ImportError:
        return "onnxruntime is not installed"
    if CUDA not in onnxruntime.get_available_providers():
        return "onnxruntime has no CUDAExecutionProvider here (CPU build or no CUDA GPU; install onnxruntime-gpu)"
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "torch sees no CUDA GPU here (CPU build or no driver)"
    return None


def physical_cores() -> int:
    """Physical cores (hyper-threads share execution units, so more threads only add contention)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            cores = {line for line in handle if line.startswith("core id")}
        return max(1, len(cores)) if cores else (os.cpu_count() or 1)
    except OSError:
        return os.cpu_count() or 1


def import_onnxruntime():
    try:
        import onnxruntime
    except ImportError as exc:
        raise SegEarthError("onnxruntime is not installed: pip install onnxruntime (CPU) or onnxruntime-gpu (CUDA)"
                            f" [{exc}]") from None
    return onnxruntime


def wanted_providers(device: str) -> list[str]:
    ort = import_onnxruntime()
    available = ort.get_available_providers()
    if device not in ("auto", "cuda", "cpu"):
        raise SegEarthError(f"device {device!r} is not one of auto, cuda, cpu")
    if device != "cpu" and "CUDAExecutionProvider" in available:
        if hasattr(ort, "preload_dlls"):
            try:
                ort.preload_dlls()
            except Exception as exc:  # noqa: BLE001 - any failure means: no usable CUDA libraries
                log.info("onnxruntime could not preload CUDA libraries: %s", exc)
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if device == "cuda":
        raise SegEarthError("CUDA was asked for, but this onnxruntime has no CUDAExecutionProvider "
                            f"(available: {', '.join(available)}); install onnxruntime-gpu")
    return ["CPUExecutionProvider"]


def torch_cuda():
    """torch when it is installed with a usable CUDA device, else None (no import error, no CUDA initialisation
    error: both mean that tensors stay on the host)."""
    try:
        import torch
    except ImportError:
        return None
    try:
        return torch if torch.cuda.is_available() else None
    except Exception:  # noqa: BLE001 - a broken driver raises from is_available on some builds
        return None


def cuda_device_id(session) -> int:
    options = session.get_provider_options().get(CUDA, {})
    return int(options.get("device_id", 0) or 0)


def cuda_provider_options(device_id: int = 0, gpu_mem_limit_mb: float | None = None) -> dict[str, str]:
    """CUDA provider options.

    - the arena grows by what is asked (kSameAsRequested), not by doubling, so a 1 GB request does not reserve 2 GB
      of a GPU that QGIS and the LLM share;
    - cuDNN searches its convolution algorithms once per shape (the shapes are static) with its full workspace;
    - `gpu_mem_limit_mb` (or the SEGEARTH_GPU_MEM_LIMIT_MB environment variable) caps the arena: beyond it a run fails
      with an out-of-memory error, which gpu_memory.run_with_oom_fallback handles.
    """
    options = {
        "device_id": str(int(device_id)),
        "arena_extend_strategy": "kSameAsRequested",
        "cudnn_conv_algo_search": "EXHAUSTIVE",
        "cudnn_conv_use_max_workspace": "1",
        "do_copy_in_default_stream": "1",
    }
    limit = gpu_mem_limit_mb if gpu_mem_limit_mb is not None else os.environ.get(GPU_MEM_LIMIT_ENV)
    if limit:
        try:
            options["gpu_mem_limit"] = str(int(float(limit) * 1024 * 1024))
        except ValueError:
            raise SegEarthError(f"{GPU_MEM_LIMIT_ENV}={limit!r} is not a number of megabytes") from None
    return options


CANCEL_POLL_S = 0.05


@contextlib.contextmanager
def interruptible(options, is_cancelled: Callable[[], bool] | None) -> Iterator[None]:
    """Run the block (one ONNX Runtime run with `options`) so that `is_cancelled()` turning true stops it: a watcher
    thread sets `options.terminate`, ONNX Runtime ends the run after its current node, and the block raises
    Cancelled. Why: an encoder run is ~10 s on a laptop CPU; a cancelled question, or a warm-up of a view the user
    left, would otherwise keep the CPU (and the next run waiting) until it ends."""
    if is_cancelled is None:
        yield
        return
    if is_cancelled():
        raise Cancelled()
    done = threading.Event()

    def watch() -> None:
        while not done.wait(CANCEL_POLL_S):
            if is_cancelled():
                options.terminate = True
                return

    watcher = threading.Thread(target=watch, name="segearth-onnx-cancel", daemon=True)
    watcher.start()
    try:
        yield
    except Exception:
        if options.terminate:
            raise Cancelled() from None
        raise
    finally:
        done.set()
        watcher.join()
    if options.terminate:  # cancelled as the run ended: its outputs are complete, but the caller asked to stop
        raise Cancelled()


def run_options():
    """Options of every run: the CPU arena gives back what it holds when the run ends (see cpu_session_options)."""
    options = import_onnxruntime().RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options


def cpu_session_options(ort):
    """Session options for a laptop CPU: memory bounded and no busy threads left behind.

    - all graph optimisations; intra-op threads = physical cores (hyper-threads only add contention);
    - no planned buffer reuse: the planner hands a freed buffer on to a later tensor of the same size, which keeps it
      allocated until that tensor dies; through Swin's identical blocks those chains held the full-size encoder's
      run at +1.2 GB over its weights;
    - the CPU arena on, and shrunk after every run (`run_options`): the arena serves the run's many short-lived
      tensors from memory it already holds, and gives back what it holds when the run ends. Without an arena each
      tensor over 32 MB was fresh memory from the C library, ~2.7 M page faults (+3 s) per full-size encoding; without
      the shrinking, the arena kept the run's peak resident for the life of the session. Full-size encoder on a
      2-core EPYC: 8.7 s and +0.3 GB over its weights, against 11.7 s / +0.6 GB (no arena) and 10.2 s / +1.2 GB
      (no arena, planned reuse);
    - no spinning: ONNX Runtime's idle threads otherwise spin after each run and steal the cores the LLM (PyTorch,
      same process) runs on next.
    """
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = physical_cores()
    options.enable_cpu_mem_arena = True
    options.enable_mem_reuse = False
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return options


def create_session(path: Path, device: str = "auto", gpu_mem_limit_mb: float | None = None) -> Session:
    ort = import_onnxruntime()
    if not path.is_file():
        raise ModelFilesError(f"{path} is missing; export the model with `segearth export`")
    options = cpu_session_options(ort)
    providers: list[Any] = [(p, cuda_provider_options(0, gpu_mem_limit_mb)) if p == CUDA else p
                            for p in wanted_providers(device)]
    try:
        session = ort.InferenceSession(str(path), options, providers=providers)
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own untyped errors for corrupt files
        raise ModelFilesError(f"{path} could not be loaded by ONNX Runtime: {exc}") from None
    provider = session.get_providers()[0]
    if device == "cuda" and provider != CUDA:
        raise SegEarthError(f"CUDA was asked for but ONNX Runtime fell back to {provider}; see its log for why")
    return Session(session, provider, path)


def describe_device(provider: str, detail: str = "") -> str:
    """What the user is told about where the model runs, from the provider a session really uses (+ LLM detail)."""
    extra = f"; {detail}" if detail else ""
    if provider == "CUDAExecutionProvider":
        name = ""
        try:
            import torch

            if torch.cuda.is_available():
                name = f", {torch.cuda.get_device_name(0)}"
        except ImportError:
            pass
        return f"CUDA (ONNX Runtime CUDAExecutionProvider{name}{extra})"
    return f"CPU (ONNX Runtime {provider}, {physical_cores()} threads{extra})"
