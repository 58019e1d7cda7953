"""LLM linear variants the bench measures but the engine does not ship (they missed the fidelity bound, or were the
code before): swapped into a loaded fp32 LLM in place of its WidenedLinear layers.

- whole widening: each bf16 matrix widened whole to fp32 for each call (the engine before issue 24).
- int8 weights, fp32 activations: per output channel (the numbers of torch's CPU weight-only kernel
  aten._weight_int8pack_mm, `Int8PerChannel`) or per block of 32/128 inputs (those of ONNX Runtime's MatMulNBits with
  8 bits). The fidelity bench computes both by dequantising cache-sized tiles of the int8 values: torch's kernel takes
  minutes for a prompt prefix on these CPUs and ORT's 8-bit MatMulNBits with fp32 activations dequantises the whole
  matrix per call (bench_llm_kernels times both).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from segearth_engine.runtime.widened_linear import WidenedLinear


class WholeWidened(nn.Module):
    def __init__(self, layer: WidenedLinear) -> None:
        super().__init__()
        self.weight, self.bias = layer.weight, layer.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight.float(), self.bias)


def int8_blocks(weight: torch.Tensor, block: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 values [out, in] and scales [out, in / block] (absmax / 127 per block of `block` inputs)."""
    out, width = weight.shape
    block = min(block, width)  # the tiny test model is narrower than a block
    grouped = weight.float().reshape(out, width // block, block)
    scales = grouped.abs().amax(-1).clamp_min(1e-12) / 127
    values = torch.round(grouped / scales[..., None]).clamp(-127, 127).to(torch.int8)
    return values.reshape(out, width), scales


class Int8PerChannel(nn.Module):
    """int8 weights per output channel, fp32 activations: torch's aten._weight_int8pack_mm."""

    def __init__(self, layer: WidenedLinear) -> None:
        super().__init__()
        self.values, scales = int8_blocks(layer.weight, layer.in_features)
        self.scales, self.bias = scales[:, 0].contiguous(), layer.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.ops.aten._weight_int8pack_mm(x.reshape(-1, x.shape[-1]).contiguous(), self.values, self.scales)
        y = y.reshape(*x.shape[:-1], -1)
        return y if self.bias is None else y + self.bias


class Int8Blocks(nn.Module):
    """int8 weights per block of inputs, fp32 activations: tiles of rows dequantised in cache, then multiplied."""

    def __init__(self, layer: WidenedLinear, block: int) -> None:
        super().__init__()
        self.values, self.scales = int8_blocks(layer.weight, block)
        self.block, self.bias, self.rows = block, layer.bias, layer.tile_rows

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, width = self.values.shape
        tiles = []
        for start in range(0, out, self.rows):
            values = self.values[start:start + self.rows]
            scales = self.scales[start:start + self.rows]
            weight = (values.float().reshape(len(values), scales.shape[1], -1) * scales[..., None]).reshape(-1, width)
            tiles.append(F.linear(x, weight, None if self.bias is None else self.bias[start:start + self.rows]))
        return torch.cat(tiles, dim=-1)


CANDIDATES: dict[str, Callable[[WidenedLinear], nn.Module]] = {
    "fp32, whole matrices widened per call (before)": WholeWidened,
    "int8 weights per output channel": lambda layer: Int8Blocks(layer, layer.in_features),
    "int8 weights, blocks of 128 inputs": lambda layer: Int8Blocks(layer, 128),
    "int8 weights, blocks of 32 inputs": lambda layer: Int8Blocks(layer, 32),
}


def swap_linears(llm: nn.Module, make: Callable[[WidenedLinear], nn.Module] | None) -> int:
    """Replace every WidenedLinear of `llm` by `make(it)` (None: put the originals back); bytes of the new weights."""
    total = 0
    for name, module in list(llm.named_modules()):
        original = getattr(module, "original", module)
        if not isinstance(original, WidenedLinear):
            continue
        new = original if make is None else make(original)
        if new is not original:
            new.__dict__["original"] = original  # not a submodule: named_modules must not list it
        total += sum(t.nbytes for t in (getattr(new, "values", None), getattr(new, "scales", None),
                                        getattr(new, "weight", None)) if t is not None)
        parent, _, attr = name.rpartition(".")
        setattr(llm.get_submodule(parent), attr, new)
    return total
