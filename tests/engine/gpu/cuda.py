"""When the CUDA path can really run here: onnxruntime with its CUDA provider and torch with CUDA (both are needed:
ONNX Runtime runs the graphs, torch holds the features on the device and runs the LLM)."""

from __future__ import annotations

import pytest


def cuda_reason() -> str | None:
    """None when both runtimes see a CUDA GPU, else why the CUDA tests skip."""
    try:
        import onnxruntime
    except ImportError:
        return "onnxruntime is not installed"
    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        return "onnxruntime has no CUDAExecutionProvider here (CPU build or no CUDA GPU; CI never has one)"
    import torch

    if not torch.cuda.is_available():
        return "torch sees no CUDA GPU here (CPU build or no driver)"
    return None


REASON = cuda_reason()
needs_cuda = pytest.mark.skipif(REASON is not None, reason=f"needs a CUDA GPU: {REASON}")
