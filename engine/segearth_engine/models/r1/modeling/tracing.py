"""Helpers that keep the ONNX export (TorchScript tracer, fixed input size) static and quiet."""

from __future__ import annotations

import warnings

import torch


def static_int(size) -> int:
    """A size as a Python int, also while tracing (where shapes come back as 0-d tensors).

    Freezing sizes is intended: the ONNX graph is exported for one input size, so its tracer warning is silenced.
    """
    if not torch.jit.is_tracing():
        return int(size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        return int(size)


def exporting() -> bool:
    """True while the model is traced (the TorchScript ONNX export), where graph size matters more than eager speed."""
    return torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()
