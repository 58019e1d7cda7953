"""The vision-to-language connector (upstream ``mm_projector``, type SparseConv_1).

It compresses res5 into a few LLM tokens with two stride-2 convs, each followed by a LayerNorm over the whole
[C, H, W] map (hence 3-D affine tensors in the checkpoint), then a 1x1 conv; there is no activation anywhere
(upstream_behaviour.md item 6). At 1024 px: res5 32x32 -> 16x16 -> 8x8 = 64 tokens.
"""

from __future__ import annotations

import torch
from torch import nn


class CompressionConnector(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, grid: tuple[int, int]) -> None:
        super().__init__()
        g1, g2 = grid
        self.proj1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=2, padding=1)
        self.norm1 = nn.LayerNorm([out_channels, g1, g1])
        self.proj2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, stride=2, padding=1)
        self.norm2 = nn.LayerNorm([out_channels, g2, g2])
        self.fc = nn.Conv2d(out_channels, out_channels, kernel_size=1)

    def forward(self, res5: torch.Tensor) -> torch.Tensor:
        """res5 [B, C, H, W] -> visual tokens [B, g2*g2, out_channels], row-major over (h, w)."""
        x = self.norm1(self.proj1(res5))
        x = self.norm2(self.proj2(x))
        return self.fc(x).flatten(2).transpose(1, 2)
