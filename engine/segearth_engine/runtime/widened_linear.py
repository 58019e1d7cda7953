"""An fp32 LLM on the CPU that keeps its linear weights as the checkpoint stores them (bf16) and widens them to fp32
for the call that uses them, a cache-sized tile of rows at a time when the call has few input rows.

Why: the released weights are bf16, so fp32 arithmetic on weights widened once at load (5.2 GB resident for Phi-1.5)
and on weights widened per call (2.6 GB, memory-mapped from the prepared bf16 copy) gives the same numbers: the same
fp32 values reach the same matrix product. Widening a whole matrix per call costs more than the product itself when a
question runs its ~10 tokens (an fp32 copy written to memory and read back: ~1.5 s of a 2.2 s answer on a 2-core
Zen 2). Widened in tiles of `TILE_BYTES`, each tile is multiplied while it is still in the core's cache, so a call reads
the bf16 weights once and nothing else from memory (measured on Phi's 8192x2048 and 2048x8192 matrices, 10 rows, one
core's CPU time: 3-5x less than widening the whole matrix, as little as fp32 weights held in memory, which are twice
the bytes). Each output column still comes from one fp32 dot product over the whole input; the prompt prefix (~100+
rows, bound by arithmetic, not memory) widens whole matrices. Tiles are many small calls: on a machine whose cores are
taken by other processes each call's threads wait for each other, which whole widening suffers less from
(benchmarks/bench_llm_kernels.py shows both).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

# fp32 bytes of one widened tile: about a quarter of a core's L2 (512 KB on Zen 2, 1-2 MB on recent Intel)
TILE_BYTES = 512 * 1024
# Input rows up to which a call is bound by reading the weights (tiles pay); above, by arithmetic (whole widening).
FEW_ROWS = 32
# Matrices smaller than this many fp32 bytes are widened whole: their fp32 copy stays in cache anyway, and each tile
# is a few more small calls.
TILED_ABOVE = 16 * 1024 * 1024


class WidenedLinear(nn.Module):
    """nn.Linear in fp32 whose weight is held in bf16 (usually a file mapping) and widened per call."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        super().__init__()
        self.out_features, self.in_features = weight.shape
        self.weight = nn.Parameter(weight, requires_grad=False)
        self.bias = None if bias is None else nn.Parameter(bias.float(), requires_grad=False)
        self.tile_rows = max(1, TILE_BYTES // (4 * self.in_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.numel() > FEW_ROWS * self.in_features or 4 * self.weight.numel() <= TILED_ABOVE:
            return F.linear(x, self.weight.to(x.dtype), self.bias)
        rows, weight, bias = self.tile_rows, self.weight, self.bias
        return torch.cat([F.linear(x, weight[start:start + rows].to(x.dtype),
                                   None if bias is None else bias[start:start + rows])
                          for start in range(0, self.out_features, rows)], dim=-1)


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
