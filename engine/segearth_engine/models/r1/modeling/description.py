"""The description projection: the pooled question+[SEG] hidden state -> the mask decoder's single query.

Upstream (upstream_behaviour.md item 10) feeds ``text_projector([pooled; refer rows])`` as latents into a
perceiver (``d_layers``) whose keys/values are ``[local_project(res5 tokens, row-major); normed latent 0]`` and
returns the final-normed latent 0 only. No latent attends to another and every other step is per token, so latent
0's output depends on the pooled row and res5 alone: the other refer rows cannot change the query. We therefore
take only the pooled row (tests/engine/modeling/test_description.py checks this against upstream's own output,
computed with all rows). The query is ``SEG_token_projector([origin_SEG_token_projector(pooled); perceiver out])``.
"""

from __future__ import annotations

import torch
from torch import nn

from segearth_engine.models.r1.config import DescriptionConfig
from segearth_engine.models.r1.modeling.tracing import static_int


class PerceiverAttention(nn.Module):
    def __init__(self, dim: int, dim_head: int, heads: int) -> None:
        super().__init__()
        inner = dim_head * heads
        self.heads = heads
        self.scale = dim_head**-0.5
        self.norm_media = nn.LayerNorm(dim)
        self.norm_latents = nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_kv = nn.Linear(dim, inner * 2, bias=False)
        self.to_out = nn.Linear(inner, dim, bias=False)

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, inner = (static_int(s) for s in x.shape)
        return x.view(batch, length, self.heads, inner // self.heads).transpose(1, 2)

    def forward(self, media: torch.Tensor, latent: torch.Tensor) -> torch.Tensor:
        """media [B, N, D], latent [B, 1, D] -> the latent's update [B, 1, D]."""
        media = self.norm_media(media)
        latent = self.norm_latents(latent)
        k, v = self.to_kv(torch.cat((media, latent), dim=1)).chunk(2, dim=-1)
        q = self._split_heads(self.to_q(latent)) * self.scale
        attn = (q @ self._split_heads(k).transpose(-2, -1)).softmax(-1)
        out = attn @ self._split_heads(v)
        batch = static_int(out.shape[0])
        return self.to_out(out.transpose(1, 2).reshape(batch, 1, -1))


def _feed_forward(dim: int, mult: int) -> nn.Sequential:
    inner = int(dim * mult)
    return nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, inner, bias=False), nn.GELU(),
                         nn.Linear(inner, dim, bias=False))


class DescriptionPerceiver(nn.Module):
    """Upstream's ``D_Projector`` restricted to latent 0 (the only latent it returns)."""

    def __init__(self, dim: int, depth: int, dim_head: int, heads: int, ff_mult: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            nn.ModuleList([PerceiverAttention(dim, dim_head, heads), _feed_forward(dim, ff_mult)])
            for _ in range(depth)
        )
        self.norm = nn.LayerNorm(dim)

    def forward(self, latent: torch.Tensor, media: torch.Tensor) -> torch.Tensor:
        for attn, ff in self.layers:
            latent = attn(media, latent) + latent
            latent = ff(latent) + latent
        return self.norm(latent)


class DescriptionProjection(nn.Module):
    def __init__(self, llm_hidden: int, res5_channels: int, query_dim: int, cfg: DescriptionConfig) -> None:
        super().__init__()
        dim = cfg.additional_dim
        self.text_projector = nn.Linear(llm_hidden, dim)
        self.origin_SEG_token_projector = nn.Linear(llm_hidden, dim)
        self.local_project = nn.Linear(res5_channels, dim)
        self.SEG_token_projector = nn.Linear(2 * dim, query_dim)
        self.d_layers = DescriptionPerceiver(dim, cfg.depth, cfg.dim_head, cfg.heads, cfg.ff_mult)

    def forward(self, pooled: torch.Tensor, res5: torch.Tensor) -> torch.Tensor:
        """pooled [B, llm_hidden] (mean of the refer rows), res5 [B, C, h, w] -> query [B, 1, query_dim]."""
        pooled = pooled[:, None]
        media = self.local_project(res5.flatten(2).transpose(1, 2))
        described = self.d_layers(self.text_projector(pooled), media)
        return self.SEG_token_projector(torch.cat((self.origin_SEG_token_projector(pooled), described), dim=-1))

