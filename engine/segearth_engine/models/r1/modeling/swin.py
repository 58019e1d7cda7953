"""Swin Transformer vision tower (Swin-B in the release), computing what upstream's detection-style Swin computes.

Upstream behaviour reproduced on purpose (see research/upstream_behaviour.md item 5):
- every block pads its normalised tokens right/bottom with zeros to a multiple of the window, and those padded
  tokens are *not* masked in regular windows: through the qkv bias they act as real keys/values;
- shifted windows roll by ``window // 2`` and use the 3x3 region mask with -100 (not -inf) on the padded grid;
- patch merging concatenates (even row, even col), (odd, even), (even, odd), (odd, odd), then LayerNorm and a
  bias-free Linear;
- each stage's output passes through its own LayerNorm ``norm{i}``.

Tokens stay channels-last ``[B, H, W, C]`` between blocks, so windows are made with one view/permute and no Python
loop over windows. Spatial sizes are read as Python ints, which keeps an ONNX export at a fixed input size static.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from segearth_engine.models.r1.config import SwinConfig
from segearth_engine.models.r1.modeling.tracing import exporting
from segearth_engine.models.r1.modeling.tracing import static_int as _int

MASK_VALUE = -100.0  # upstream's additive value between different shifted regions
SCORE_CHUNK_ELEMENTS = 1 << 23  # attention scores per chunk of windows in an exported graph (32 MB in fp32)


def relative_position_index(window: int) -> torch.Tensor:
    """[w*w, w*w] int64: flat index into the (2w-1)^2 bias table for every (query, key) pair of a window."""
    rows, cols = torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")
    rows, cols = rows.reshape(-1), cols.reshape(-1)
    d_row = rows[:, None] - rows[None, :] + (window - 1)
    d_col = cols[:, None] - cols[None, :] + (window - 1)
    return (d_row * (2 * window - 1) + d_col).to(torch.int64)


def shifted_window_mask(height: int, width: int, window: int, shift: int) -> torch.Tensor:
    """[nW, w*w, w*w] additive mask for shifted windows on a padded grid: 0 within a region, -100 across regions."""

    def labels(n: int) -> torch.Tensor:
        # Regions along one axis after the roll: [0, n-w), [n-w, n-s), [n-s, n).
        idx = torch.arange(n)
        return (idx >= n - window).long() + (idx >= n - shift).long()

    region = labels(height)[:, None] * 3 + labels(width)[None, :]
    region = region.view(height // window, window, width // window, window).permute(0, 2, 1, 3)
    region = region.reshape(-1, window * window)
    differs = region[:, :, None] != region[:, None, :]
    return torch.zeros(differs.shape).masked_fill(differs, MASK_VALUE)


class PatchEmbed(nn.Module):
    """4x4 stride-4 conv + LayerNorm; the image is zero padded right/bottom to a multiple of the patch first."""

    def __init__(self, patch_size: int, in_chans: int, embed_dim: int) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)
        self.norm = nn.LayerNorm(embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.patch_size
        height, width = _int(x.shape[2]), _int(x.shape[3])
        if height % p or width % p:
            x = F.pad(x, (0, (p - width % p) % p, 0, (p - height % p) % p))
        return self.norm(self.proj(x).permute(0, 2, 3, 1))  # [B, H, W, C]


class WindowAttention(nn.Module):
    """Multi-head self-attention inside windows with a learned relative position bias."""

    def __init__(self, dim: int, window: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        self.register_buffer("relative_position_index", relative_position_index(window), persistent=True)
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, windows: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """windows [B, nW, N, C], mask [nW, 1, N, N] or None -> [B, nW, N, C]."""
        b, nw, n, c = (_int(s) for s in windows.shape)
        qkv = self.qkv(windows).view(b, nw, n, 3, self.heads, c // self.heads).permute(3, 0, 1, 4, 2, 5)
        q, k, v = qkv.unbind(0)  # [B, nW, heads, N, hd]
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        bias = bias.view(n, n, self.heads).permute(2, 0, 1)  # [heads, N, N]
        if exporting():
            # Bias and mask are added to the scores one after the other: the exporter then folds one [heads, N, N]
            # constant per block and the stage's one [nW, 1, N, N] mask, not their [nW, heads, N, N] sum per block
            # (full-size encoder graph 1.33 -> 0.70 GB, ONNX Runtime session 2.3 -> 1.05 GB resident, not slower).
            # Windows go through in chunks of at most SCORE_CHUNK_ELEMENTS scores: ONNX Runtime keeps the scores,
            # the biased scores and the softmax of a whole chunk alive at once, which at stage 0 of Swin-B at
            # 1024 px (484 windows) is 3 x 160 MB; chunked it is 3 x 32 MB.
            step = max(1, SCORE_CHUNK_ELEMENTS // (b * self.heads * n * n))
            if step >= nw:
                out = self._explicit(q, k, v, bias, mask)
            else:
                out = torch.cat([self._explicit(q[:, i:i + step], k[:, i:i + step], v[:, i:i + step], bias,
                                                None if mask is None else mask[i:i + step])
                                 for i in range(0, nw, step)], dim=1)
        else:
            # Eager: one full [nW, heads, N, N] additive mask, built per call, into SDPA. The explicit form above
            # makes a Swin-B forward at 1024x1024 ~25% slower on CPU (7.4 vs 5.9 s, 2 cores), and SDPA's CPU kernel
            # is slower with a broadcast [heads, N, N] mask than with the full one.
            bias = bias.expand(nw, -1, -1, -1) if mask is None else bias + mask
            if b == 1:  # 4-D keeps the fast kernel
                out = F.scaled_dot_product_attention(q[0], k[0], v[0], attn_mask=bias, scale=self.scale)[None]
            else:
                out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=self.scale)
        return self.proj(out.transpose(2, 3).reshape(b, nw, n, c))

    def _explicit(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor,
                  mask: torch.Tensor | None) -> torch.Tensor:
        """softmax(q k^T * scale + bias + mask) v, spelled out for the exporter (see forward)."""
        scores = torch.matmul(q * self.scale, k.transpose(-2, -1)) + bias
        if mask is not None:
            scores = scores + mask
        return torch.matmul(scores.softmax(dim=-1), v)


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class SwinBlock(nn.Module):
    """(Shifted) window attention + MLP, both pre-norm with residuals."""

    def __init__(self, dim: int, heads: int, window: int, shift: int, mlp_ratio: float) -> None:
        super().__init__()
        self.window = window
        self.shift = shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, window, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """x [B, H, W, C]; mask: the stage's shifted-window mask (used only by shifted blocks)."""
        b, height, width, c = (_int(s) for s in x.shape)
        w = self.window
        y = self.norm1(x)
        pad_h, pad_w = (w - height % w) % w, (w - width % w) % w
        if pad_h or pad_w:
            y = F.pad(y, (0, 0, 0, pad_w, 0, pad_h))
        hp, wp = height + pad_h, width + pad_w
        if self.shift:
            y = torch.roll(y, shifts=(-self.shift, -self.shift), dims=(1, 2))
        windows = y.view(b, hp // w, w, wp // w, w, c).permute(0, 1, 3, 2, 4, 5).reshape(b, -1, w * w, c)
        windows = self.attn(windows, mask if self.shift else None)
        y = windows.view(b, hp // w, wp // w, w, w, c).permute(0, 1, 3, 2, 4, 5).reshape(b, hp, wp, c)
        if self.shift:
            y = torch.roll(y, shifts=(self.shift, self.shift), dims=(1, 2))
        if pad_h or pad_w:
            y = y[:, :height, :width]
        x = x + y
        return x + self.mlp(self.norm2(x))


class PatchMerging(nn.Module):
    """2x2 neighbourhood -> one token: concat (4C), LayerNorm, bias-free Linear to 2C; odd sizes are zero padded."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(4 * dim)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = _int(x.shape[1]), _int(x.shape[2])
        if height % 2 or width % 2:
            x = F.pad(x, (0, 0, 0, width % 2, 0, height % 2))
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], dim=-1)
        return self.reduction(self.norm(x))


class SwinStage(nn.Module):
    def __init__(self, dim: int, depth: int, heads: int, window: int, mlp_ratio: float, downsample: bool) -> None:
        super().__init__()
        self.window = window
        self.shift = window // 2
        self.blocks = nn.ModuleList(
            SwinBlock(dim, heads, window, self.shift if j % 2 else 0, mlp_ratio) for j in range(depth)
        )
        self.downsample = PatchMerging(dim) if downsample else None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """-> (this stage's output [B, H, W, C], the input of the next stage)."""
        w = self.window
        hp = -(-_int(x.shape[1]) // w) * w
        wp = -(-_int(x.shape[2]) // w) * w
        mask = None
        if len(self.blocks) > 1:
            # [nW, 1, N, N]: made once per stage, broadcast over heads (and one constant per stage in a graph).
            mask = shifted_window_mask(hp, wp, w, self.shift)[:, None].to(device=x.device, dtype=x.dtype)
        for block in self.blocks:
            x = block(x, mask)
        return x, (self.downsample(x) if self.downsample is not None else x)


class SwinTransformer(nn.Module):
    """Four Swin stages; returns res2..res5 as NCHW after the per-stage output LayerNorms."""

    def __init__(self, cfg: SwinConfig, in_chans: int = 3) -> None:
        super().__init__()
        self.patch_embed = PatchEmbed(cfg.patch_size, in_chans, cfg.embed_dim)
        self.layers = nn.ModuleList(
            SwinStage(dim, depth, heads, cfg.window_size, cfg.mlp_ratio, downsample=i < 3)
            for i, (dim, depth, heads) in enumerate(zip(cfg.channels, cfg.depths, cfg.num_heads, strict=True))
        )
        for i, dim in enumerate(cfg.channels):
            self.add_module(f"norm{i}", nn.LayerNorm(dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.patch_embed(x)
        outs = []
        for i, stage in enumerate(self.layers):
            out, x = stage(x)
            outs.append(getattr(self, f"norm{i}")(out).permute(0, 3, 1, 2).contiguous())
        return tuple(outs)  # type: ignore[return-value]
