"""An fp32 LLM on the CPU that keeps its linear weights as the checkpoint stores them (bf16) and widens each one to
fp32 for the call that uses it.

Why: the released weights are bf16, so fp32 arithmetic on weights widened once at load (5.2 GB resident for Phi-1.5)
and on weights widened per call (2.6 GB, memory-mapped from the prepared bf16 copy, plus one matrix at a time) gives
the same numbers bit for bit: the same fp32 values reach the same matrix product. Loading becomes a mapping instead of
a conversion; each question pays the widening (~0.1 GB of reads and writes per layer).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


class WidenedLinear(nn.Module):
    """nn.Linear in fp32 whose weight is held in bf16 (usually a file mapping) and widened per call."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        super().__init__()
        self.out_features, self.in_features = weight.shape
        self.weight = nn.Parameter(weight, requires_grad=False)
        self.bias = None if bias is None else nn.Parameter(bias.float(), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight.to(x.dtype), self.bias)


def widen_to_fp32(root: nn.Module, keep_bf16: Callable[[str], bool] = lambda name: False) -> nn.Module:
    """In place, for a bf16 model: every nn.Linear becomes a WidenedLinear (weight kept bf16), every other bf16
    parameter and buffer is widened to fp32, except those `keep_bf16(name)` (e.g. an embedding table whose looked-up
    rows are widened by the caller). Returns `root`."""
    for name, module in list(root.named_modules()):
        if type(module) is nn.Linear and module.weight.dtype == torch.bfloat16:
            parent, _, attr = name.rpartition(".")
            setattr(root.get_submodule(parent) if parent else root, attr, WidenedLinear(module.weight, module.bias))
    for name, module in root.named_modules():
        if isinstance(module, WidenedLinear):
            continue
        prefix = f"{name}." if name else ""
        for attr, tensor in list(module._parameters.items()):
            if tensor is not None and tensor.dtype == torch.bfloat16 and not keep_bf16(prefix + attr):
                module._parameters[attr] = nn.Parameter(tensor.float(), requires_grad=False)
        for attr, tensor in list(module._buffers.items()):
            if tensor is not None and tensor.dtype == torch.bfloat16 and not keep_bf16(prefix + attr):
                module._buffers[attr] = tensor.float()
    return root
