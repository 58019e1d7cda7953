"""SegEarth-R2's mask decoder (upstream ``predictor``): one query per generated [SEG], any number of them.

Upstream runs the Mask2Former masked-attention decoder (``forward_woconcat``, zero query position embedding, as in
R1) with a *batch* of N single-query problems: the pixel features are repeated N times (``repeat_interleave``) and
each [SEG] embedding is the only query of its batch element. Every step is then independent per query:
cross-attention and its mask, the feed-forward, the prediction head, and self-attention, which over a single
query is exactly ``out_proj(v_proj(x))`` (softmax over one key is 1). We compute the same thing with the N queries
side by side in one batch element: features are not copied N times, and N stays a dynamic axis of the ONNX graph.

Parameters keep upstream's names (R1's layer modules are reused where identical). R2's predictor has no
``CLASS_proj`` (R1's has), and no ``SEG_norm`` (SEG_NORM is off in the swin_base yaml, as in R1).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ...config import MaskDecoderConfig
from ...modeling.mask_decoder import MLP, NUM_LEVELS, FFNLayer, attention_bias
from ...modeling.position import sine_position_encoding
from ...modeling.tracing import static_int


class QueryAttention(nn.Module):
    """``nn.MultiheadAttention``'s tensors (packed in-projection); the query count is never frozen into a trace."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"width {dim} is not divisible by {heads} heads")
        self.heads = heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * dim))
        self.out_proj = nn.Linear(dim, dim)
        nn.init.xavier_uniform_(self.in_proj_weight)

    def cross(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """query [1, Q, C], key/value [1, K, C], bias [1, 1, Q, K] -> [1, Q, C]."""
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = self.in_proj_bias.chunk(3)
        dim = static_int(query.shape[-1])
        head_dim = dim // self.heads
        q = F.linear(query, w_q, b_q).reshape(1, -1, self.heads, head_dim).transpose(1, 2)
        k = F.linear(key, w_k, b_k).reshape(1, -1, self.heads, head_dim).transpose(1, 2)
        v = F.linear(value, w_v, b_v).reshape(1, -1, self.heads, head_dim).transpose(1, 2)
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1) + bias
        out = scores.softmax(-1) @ v
        return self.out_proj(out.transpose(1, 2).reshape(1, -1, dim))

    def alone(self, x: torch.Tensor) -> torch.Tensor:
        """Self-attention of each query with itself only (upstream: one query per batch element)."""
        _, _, w_v = self.in_proj_weight.chunk(3)
        _, _, b_v = self.in_proj_bias.chunk(3)
        return self.out_proj(F.linear(x, w_v, b_v))


class CrossAttentionLayer(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.multihead_attn = QueryAttention(dim, heads)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x, keys, values, bias):
        return self.norm(x + self.multihead_attn.cross(x, keys, values, bias))


class SelfAttentionLayer(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.self_attn = QueryAttention(dim, heads)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.norm(x + self.self_attn.alone(x))


class SegQueryDecoder(nn.Module):
    def __init__(self, cfg: MaskDecoderConfig, mask_dim: int) -> None:
        super().__init__()
        dim = cfg.hidden_dim
        self.num_layers = cfg.dec_layers
        self.transformer_self_attention_layers = nn.ModuleList(
            SelfAttentionLayer(dim, cfg.nheads) for _ in range(cfg.dec_layers))
        self.transformer_cross_attention_layers = nn.ModuleList(
            CrossAttentionLayer(dim, cfg.nheads) for _ in range(cfg.dec_layers))
        self.transformer_ffn_layers = nn.ModuleList(FFNLayer(dim, cfg.dim_feedforward) for _ in range(cfg.dec_layers))
        self.decoder_norm = nn.LayerNorm(dim)
        # Stored in the checkpoint, unused at inference (learned query tables and the [SEG] class head).
        self.query_feat = nn.Embedding(cfg.num_queries, dim)
        self.query_embed = nn.Embedding(cfg.num_queries, dim)
        self.SEG_query_embed = nn.Embedding(cfg.num_queries + 1, dim)
        self.new_query_embed = nn.Embedding(1, dim)
        self.SEG_proj = MLP(dim, dim, dim, 2)
        # Used.
        self.level_embed = nn.Embedding(NUM_LEVELS, dim)
        self.mask_embed = MLP(dim, dim, mask_dim, 3)

    def predict(self, x: torch.Tensor, mask_features: torch.Tensor) -> torch.Tensor:
        """Queries [1, Q, C] -> mask logits [1, Q, H, W]."""
        return torch.einsum("bqc,bchw->bqhw", self.mask_embed(self.decoder_norm(x)), mask_features)

    def forward(self, features: list[torch.Tensor], mask_features: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
        """features: 3 maps [1, C, h, w] coarsest first; queries [Q, C] -> final mask logits [1, Q, H, W]."""
        if len(features) != NUM_LEVELS:
            raise ValueError(f"the mask decoder needs {NUM_LEVELS} feature levels, got {len(features)}")
        sizes, values, keys = [], [], []
        for level, x in enumerate(features):
            height, width = static_int(x.shape[-2]), static_int(x.shape[-1])
            sizes.append((height, width))
            memory = (x.flatten(2) + self.level_embed.weight[level][None, :, None]).transpose(1, 2)
            pos = sine_position_encoding(height, width, static_int(x.shape[1]), x.device, x.dtype)
            values.append(memory)
            keys.append(memory + pos.flatten(2).transpose(1, 2))
        x = queries[None]
        logits = self.predict(x, mask_features)
        for i in range(self.num_layers):
            level = i % NUM_LEVELS
            bias = attention_bias(logits, sizes[level])
            x = self.transformer_cross_attention_layers[i](x, keys[level], values[level], bias)
            x = self.transformer_self_attention_layers[i](x)
            x = self.transformer_ffn_layers[i](x)
            logits = self.predict(x, mask_features)
        return logits
