"""GPU memory: how much is free, how many tiles fit in one batch, and what to do when a step runs out anyway.

Why: a batch size that fits one scene can fail on the next (other programs share the GPU, QGIS itself holds some),
so the estimate only chooses where to start; `run_with_oom_fallback` halves the batch on an out-of-memory error and,
at a batch of one, moves the work to the CPU with a message instead of taking QGIS down.
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

# Activations of one tile through encoder + LLM + decoder, as a multiple of its encoder outputs' size (fp32). At
# full size the outputs are ~90 MB and a 1024 px Swin-B pass in fp16 peaks at a few hundred MB: 6x leaves margin.
ACTIVATION_FACTOR = 6
RESERVE_BYTES = 1 << 30  # left free for cuDNN/cuBLAS workspaces, the LLM's activations and other programs
MAX_BATCH = 8

# Messages of out-of-memory failures, as ONNX Runtime (BFC arena, CUDA/cuBLAS/cuDNN calls) and torch word them.
_OOM_PATTERNS = re.compile("|".join((
    r"out of memory",  # torch: "CUDA out of memory. Tried to allocate ..."; ORT: "CUDA failure 2: out of memory"
    r"Available memory of \d+ is smaller than requested bytes",  # ORT BFC arena over its limit (gpu_mem_limit)
    r"Failed to allocate memory for requested buffer",  # ORT BFC arena when the device refuses more
    r"cudaErrorMemoryAllocation",
    r"CUBLAS_STATUS_ALLOC_FAILED",
    r"CUDNN_STATUS_ALLOC_FAILED",
    r"can't allocate memory",  # torch's CPU allocator: "DefaultCPUAllocator: can't allocate memory: ..."
    r"std::bad_alloc",
)), re.IGNORECASE)


def is_out_of_memory(exc: BaseException) -> bool:
    """True when `exc` (from ONNX Runtime or torch, on the GPU or CPU) reports a failed allocation."""
    if isinstance(exc, MemoryError):
        return True
    if any(cls.__name__ == "OutOfMemoryError" for cls in type(exc).__mro__):  # torch.cuda.OutOfMemoryError
        return True
    return bool(_OOM_PATTERNS.search(str(exc)))


def free_bytes(device: int = 0) -> int | None:
    """Free memory on CUDA device `device` as the driver counts it (all processes, all allocators); None without
    CUDA. torch's caching allocator holds freed blocks, which are free for our own next step, so they count too."""
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    free, _total = torch.cuda.mem_get_info(device)
    reserved = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
    return int(free + max(reserved, 0))


def tile_bytes(feature_bytes: int) -> int:
    """Estimated device memory one tile needs while it is processed, from its encoder outputs' size."""
    return int(feature_bytes) * ACTIVATION_FACTOR


def choose_batch_size(free: int | None, per_tile: int, reserve: int = RESERVE_BYTES, max_batch: int = MAX_BATCH) -> int:
    """Tiles per batch: as many as fit in `free` after `reserve`, between 1 and `max_batch`; 1 without a GPU."""
    if free is None or per_tile <= 0:
        return 1
    return max(1, min(int(max_batch), (int(free) - int(reserve)) // int(per_tile)))


def release_cached_memory() -> None:
    """Return torch's cached blocks to the driver, so ONNX Runtime (its own allocator) can use them."""
    gc.collect()
    try:
        import torch
    except ImportError:
        return
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


@dataclass
class OomOutcome:
    """What `run_with_oom_fallback` had to do: the batch size that worked and whether it moved to the CPU."""

    batch: int
    on_cpu: bool = False
    retries: int = 0


def run_with_oom_fallback(step: Callable[[int], T], batch: int, to_cpu: Callable[[], None] | None = None,
                          notify: Callable[[str], None] | None = None,
                          outcome: OomOutcome | None = None) -> T:
    """`step(batch)`; on an out-of-memory error halve the batch and retry; at one, call `to_cpu()` (with a message)
    and retry once more there. Any other error, and an out-of-memory error with nowhere left to go, propagates.

    `outcome` (optional) records the batch size that worked, so the caller keeps using it for the next batches.
    """
    outcome = outcome if outcome is not None else OomOutcome(batch)
    outcome.batch = max(1, int(batch))
    while True:
        try:
            return step(outcome.batch)
        except Exception as exc:  # noqa: BLE001 - classified below; everything else is re-raised unchanged
            if not is_out_of_memory(exc):
                raise
            release_cached_memory()
            outcome.retries += 1
            if outcome.batch > 1:
                outcome.batch //= 2
                log.warning("out of GPU memory (%s): retrying with %d tile(s) per batch", _first_line(exc),
                            outcome.batch)
                continue
            if to_cpu is None or outcome.on_cpu:
                raise
            message = (f"out of GPU memory even for one tile ({_first_line(exc)}): continuing on the CPU, "
                       "which is much slower; close other GPU programs or use a smaller extent")
            log.warning(message)
            if notify is not None:
                notify(message)
            to_cpu()
            outcome.on_cpu = True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
