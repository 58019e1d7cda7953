"""Mask2Former's multi-scale deformable-attention pixel decoder (upstream ``pixel_decoder``), in pure PyTorch.

What upstream computes, and we reproduce (upstream_behaviour.md item 11):
- res5, res4, res3 (coarsest first: ``input_proj.0`` is res5) go through a 1x1 conv + GroupNorm(32) each;
- a deformable-attention encoder runs over the three levels at once, queries = values = all tokens, with the sine
  position encoding plus a learned per-level embedding added to the queries;
- deformable sampling is upstream's CPU fallback: ``F.grid_sample`` (bilinear, zero padding, align_corners False),
  softmax weights over levels x points. It exports to ONNX GridSample (opset >= 16), no custom op needed;
- one FPN step: ``adapter_1`` (1x1 conv + GN + ReLU) on res2 plus the finest encoder map upsampled bilinearly,
  then ``layer_1`` (3x3 conv + GN + ReLU) and the 1x1 ``mask_features`` conv.

All spatial sizes are Python ints, so reference points and position encodings become constants when traced for
ONNX at a fixed input size. Per-level results are accumulated instead of stacked (a third of the peak memory at
1024 px; same values up to float summation order).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from segearth_engine.models.r1.config import PixelDecoderConfig
from segearth_engine.models.r1.modeling.position import sine_position_encoding
from segearth_engine.models.r1.modeling.tracing import static_int

NUM_LEVELS = 3  # res3, res4, res5 enter the encoder
GROUPS = 32  # GroupNorm groups in every conv block of the release


def _conv_norm(in_channels: int, out_channels: int, kernel: int, relu: bool) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, kernel_size=kernel, padding=kernel // 2),
                               nn.GroupNorm(GROUPS, out_channels)]
    if relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def reference_points(shapes: list[tuple[int, int]], device=None) -> torch.Tensor:
    """[1, sum(h*w), 2] normalised (x, y) centres of every token, level after level (no padding: valid ratio 1)."""
    points = []
    for height, width in shapes:
        ref_y, ref_x = torch.meshgrid(
            torch.linspace(0.5, height - 0.5, height, dtype=torch.float32, device=device),
            torch.linspace(0.5, width - 0.5, width, dtype=torch.float32, device=device),
            indexing="ij",
        )
        points.append(torch.stack((ref_x.reshape(-1) / width, ref_y.reshape(-1) / height), -1))
    return torch.cat(points, 0)[None]


class MSDeformAttn(nn.Module):
    """Multi-scale deformable attention: each query samples n_points per head and level around its reference."""

    def __init__(self, dim: int, n_levels: int, n_heads: int, n_points: int) -> None:
        super().__init__()
        if dim % n_heads:
            raise ValueError(f"width {dim} is not divisible by {n_heads} heads")
        self.n_levels, self.n_heads, self.n_points = n_levels, n_heads, n_points
        self.sampling_offsets = nn.Linear(dim, n_heads * n_levels * n_points * 2)
        self.attention_weights = nn.Linear(dim, n_heads * n_levels * n_points)
        self.value_proj = nn.Linear(dim, dim)
        self.output_proj = nn.Linear(dim, dim)

    def forward(self, query: torch.Tensor, points: torch.Tensor, tokens: torch.Tensor,
                shapes: list[tuple[int, int]]) -> torch.Tensor:
        """query, tokens [B, L, C]; points [1|B, L, 2] float32 in [0, 1]; shapes (h, w) per level -> [B, L, C]."""
        batch, length, dim = (static_int(s) for s in query.shape)
        heads, levels, n_points = self.n_heads, self.n_levels, self.n_points
        head_dim = dim // heads
        # Sampling runs in float32 whatever the model dtype, as upstream's kernel does (value.float(), fp32
        # locations): in half precision, rounded locations and bilinear weights would move the samples visibly.
        value = self.value_proj(tokens).float()
        offsets = self.sampling_offsets(query).float().view(batch, length, heads, levels, n_points, 2)
        weights = self.attention_weights(query).float().view(batch, length, heads, levels * n_points).softmax(-1)
        # [B*heads, 1, L, levels, points], the layout grid_sample's output is weighted in
        weights = weights.transpose(1, 2).reshape(batch * heads, 1, length, levels, n_points)
        out = None
        start = 0
        for level, (height, width) in enumerate(shapes):
            # [B, h*w, C] -> [B*heads, head_dim, h, w]
            level_value = value[:, start:start + height * width].transpose(1, 2)
            level_value = level_value.reshape(batch * heads, head_dim, height, width)
            start += height * width
            # offsets are in pixels of this level: normalise x by its width and y by its height, then map to [-1, 1]
            shift = offsets[:, :, :, level]  # [B, L, heads, points, 2]
            shift = torch.stack((shift[..., 0] / width, shift[..., 1] / height), -1)
            grid = 2 * (points[:, :, None, None, :] + shift) - 1
            grid = grid.transpose(1, 2).flatten(0, 1)  # [B*heads, L, points, 2]
            sampled = F.grid_sample(level_value, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
            term = (sampled * weights[..., level, :]).sum(-1)  # [B*heads, head_dim, L]
            out = term if out is None else out + term
        out = out.view(batch, dim, length).transpose(1, 2)
        return self.output_proj(out.to(query.dtype))


class DeformableEncoderLayer(nn.Module):
    """Deformable self-attention then a ReLU feed-forward, both post-norm, no dropout at inference."""

    def __init__(self, dim: int, ffn_dim: int, n_levels: int, n_heads: int, n_points: int) -> None:
        super().__init__()
        self.self_attn = MSDeformAttn(dim, n_levels, n_heads, n_points)
        self.norm1 = nn.LayerNorm(dim)
        self.linear1 = nn.Linear(dim, ffn_dim)
        self.linear2 = nn.Linear(ffn_dim, dim)
        self.norm2 = nn.LayerNorm(dim)

    def forward(self, tokens: torch.Tensor, pos: torch.Tensor, points: torch.Tensor,
                shapes: list[tuple[int, int]]) -> torch.Tensor:
        tokens = self.norm1(tokens + self.self_attn(tokens + pos, points, tokens, shapes))
        return self.norm2(tokens + self.linear2(F.relu(self.linear1(tokens))))


class DeformableEncoder(nn.Module):
    def __init__(self, cfg: PixelDecoderConfig, n_levels: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            DeformableEncoderLayer(cfg.conv_dim, cfg.dim_feedforward, n_levels, cfg.nheads, cfg.n_points)
            for _ in range(cfg.enc_layers)
        )

    def forward(self, tokens, pos, points, shapes):
        for layer in self.layers:
            tokens = layer(tokens, pos, points, shapes)
        return tokens


class DeformableTransformer(nn.Module):
    """The encoder plus its learned level embedding (a bare parameter, unlike the mask decoder's Embedding)."""

    def __init__(self, cfg: PixelDecoderConfig, n_levels: int = NUM_LEVELS) -> None:
        super().__init__()
        self.encoder = DeformableEncoder(cfg, n_levels)
        self.level_embed = nn.Parameter(torch.empty(n_levels, cfg.conv_dim))
        nn.init.normal_(self.level_embed)

    def forward(self, maps: list[torch.Tensor]) -> torch.Tensor:
        """Projected maps [B, C, h, w], coarsest first -> encoded tokens [B, sum(h*w), C], level after level."""
        shapes = [(static_int(m.shape[-2]), static_int(m.shape[-1])) for m in maps]
        tokens = torch.cat([m.flatten(2).transpose(1, 2) for m in maps], 1)
        pos = torch.cat([
            sine_position_encoding(h, w, m.shape[1], m.device, m.dtype).flatten(2).transpose(1, 2)
            + self.level_embed[level].view(1, 1, -1)
            for level, ((h, w), m) in enumerate(zip(shapes, maps, strict=True))
        ], 1)
        points = reference_points(shapes, tokens.device)  # float32 in every dtype, see MSDeformAttn
        return self.encoder(tokens, pos, points, shapes)


class MSDeformAttnPixelDecoder(nn.Module):
    def __init__(self, channels: tuple[int, int, int, int], cfg: PixelDecoderConfig) -> None:
        super().__init__()
        if cfg.conv_dim % GROUPS:
            raise ValueError(f"pixel decoder width {cfg.conv_dim} is not divisible into {GROUPS} GroupNorm groups")
        res2, res3, res4, res5 = channels
        # coarsest first, as upstream orders them
        self.input_proj = nn.ModuleList(_conv_norm(c, cfg.conv_dim, 1, relu=False) for c in (res5, res4, res3))
        self.transformer = DeformableTransformer(cfg)
        self.adapter_1 = _conv_norm(res2, cfg.conv_dim, 1, relu=True)
        self.layer_1 = _conv_norm(cfg.conv_dim, cfg.conv_dim, 3, relu=True)
        self.mask_features = nn.Conv2d(cfg.conv_dim, cfg.mask_dim, kernel_size=1)

    def forward(self, res2: torch.Tensor, res3: torch.Tensor, res4: torch.Tensor, res5: torch.Tensor
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Swin maps -> (mask_features [B, mask_dim, H/4, W/4], encoder maps at H/32, H/16, H/8)."""
        maps = [proj(x) for proj, x in zip(self.input_proj, (res5, res4, res3), strict=True)]
        encoded = self.transformer(maps)
        batch, dim = static_int(encoded.shape[0]), static_int(encoded.shape[2])
        levels = []
        start = 0
        for m in maps:
            height, width = static_int(m.shape[-2]), static_int(m.shape[-1])
            levels.append(encoded[:, start:start + height * width].transpose(1, 2).reshape(batch, dim, height, width))
            start += height * width
        lateral = self.adapter_1(res2)
        size = (static_int(lateral.shape[-2]), static_int(lateral.shape[-1]))
        finest = F.interpolate(levels[-1], size=size, mode="bilinear", align_corners=False)
        fpn = self.layer_1(lateral + finest)
        return self.mask_features(fpn), (levels[0], levels[1], levels[2])
