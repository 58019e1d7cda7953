"""Dynamic int8 linears rebuilt from stored int8 values, packed for torch's kernels in blocks of output rows.

Why: packing a weight for fbgemm (torch.ops.quantized.linear_prepack) costs ~5 ns per weight while the matrix is
small, but ~12-17 ns per weight for Phi-1.5's 8192x2048 and 2048x8192 MLP matrices (measured on a Zen 2, one core),
and packing was most of loading a stored int8 LLM. A matrix of more than `BLOCK_WEIGHTS` weights is packed as blocks
of whole output rows and the blocks' outputs are concatenated: the numbers are bit for bit those of one packed matrix
(the input is quantised per call from the whole input, identically in each block, and each output row only reads its
own weights), packing takes about a third of the time, and a call ~10 % more for the blocked matrices.
"""

from __future__ import annotations

import warnings

import torch
from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

# Phi's attention matrices (2048x2048) stay whole; its MLP matrices become 4 blocks each.
BLOCK_WEIGHTS = 2048 * 2048


def _packed(values: torch.Tensor, scales: torch.Tensor, zero_points: torch.Tensor,
            bias: torch.Tensor) -> torch.nn.Module:
    """One torch dynamic int8 Linear holding `values` [out, in] (per-output-channel scales), packed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch marks quantised tensors and eager quantisation as deprecated
        linear = DynamicLinear(1, 1)  # packing a 1x1 placeholder, not a full-size empty weight
        weight = torch._make_per_channel_quantized_tensor(values, scales, zero_points, 0)
    linear.in_features, linear.out_features = values.shape[1], values.shape[0]
    linear.set_weight_bias(weight, bias)
    return linear


class RowBlocks(torch.nn.Module):
    """A dynamic int8 linear packed as blocks of output rows; outputs concatenated in row order."""

    def __init__(self, blocks: list[torch.nn.Module]) -> None:
        super().__init__()
        self.blocks = torch.nn.ModuleList(blocks)
        self.in_features = blocks[0].in_features
        self.out_features = sum(block.out_features for block in blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([block(x) for block in self.blocks], dim=-1)


def pack_int8_linear(values: torch.Tensor, scales: torch.Tensor, zero_points: torch.Tensor,
                     bias: torch.Tensor) -> torch.nn.Module:
    """A module computing the dynamic int8 linear of `values` [out, in] with per-output-channel `scales` and
    `zero_points` and fp32 `bias`: one packed matrix, or blocks of rows for a large one (module docstring)."""
    rows = max(1, BLOCK_WEIGHTS // values.shape[1])
    if values.shape[0] <= rows:
        return _packed(values, scales, zero_points, bias)
    blocks = [_packed(values[start:start + rows], scales[start:start + rows], zero_points[start:start + rows],
                      bias[start:start + rows]) for start in range(0, values.shape[0], rows)]
    return RowBlocks(blocks)


def int8_parts(module: torch.nn.Module) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """(values, scales, zero points, bias) of a dynamic int8 linear, whole or in blocks; None for other modules."""
    if isinstance(module, RowBlocks):
        parts = [int8_parts(block) for block in module.blocks]
        return tuple(torch.cat(column) for column in zip(*parts, strict=True))  # type: ignore[return-value]
    if not isinstance(module, DynamicLinear):
        return None
    weight, bias = module._packed_params._weight_bias()
    if weight.qscheme() != torch.per_channel_affine:
        raise ValueError(f"only per-channel int8 linears are supported ({weight.qscheme()})")
    return (weight.int_repr(), weight.q_per_channel_scales(), weight.q_per_channel_zero_points(),
            bias if bias is not None else torch.zeros(module.out_features))

