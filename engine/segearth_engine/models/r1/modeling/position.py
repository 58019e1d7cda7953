"""Mask2Former's normalised sine position encoding, shared by the pixel decoder and the mask decoder.

It depends only on the map's height and width, so it is computed from Python ints (a constant in the ONNX graph).
The arithmetic follows upstream's ``PositionEmbeddingSine(normalize=True)`` step by step in float32: positions
1..n divided by (n + 1e-6) and scaled by 2*pi, frequencies ``10000 ** (2 * floor(i / 2) / num_feats)``, sine on even
and cosine on odd features interleaved, y features before x features.
"""

from __future__ import annotations

import math

import torch

TEMPERATURE = 10000.0
EPS = 1e-6


def _axis(n: int, num_feats: int, device) -> torch.Tensor:
    """[n, num_feats] encoding of positions 1..n along one axis."""
    ones = torch.ones(1, n, dtype=torch.float32, device=device)
    embed = ones.cumsum(1)
    embed = embed / (embed[:, -1:] + EPS) * (2 * math.pi)
    dim_t = torch.arange(num_feats, dtype=torch.float32, device=device)
    dim_t = TEMPERATURE ** (2 * torch.div(dim_t, 2, rounding_mode="floor") / num_feats)
    pairs = (embed[0, :, None] / dim_t).view(n, num_feats // 2, 2)  # (even, odd) features side by side
    return torch.stack((pairs[..., 0].sin(), pairs[..., 1].cos()), dim=2).flatten(1)


def sine_position_encoding(height: int, width: int, channels: int, device=None,
                           dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """[1, channels, height, width]: channels // 2 features of the row position, then as many of the column."""
    num_feats = channels // 2
    pos_y = _axis(height, num_feats, device)[:, None, :].expand(height, width, num_feats)
    pos_x = _axis(width, num_feats, device)[None, :, :].expand(height, width, num_feats)
    return torch.cat((pos_y, pos_x), dim=2).permute(2, 0, 1)[None].to(dtype)
