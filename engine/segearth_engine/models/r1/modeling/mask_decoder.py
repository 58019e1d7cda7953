"""Mask2Former's masked-attention transformer decoder (upstream ``predictor``), driven the way SegEarth-R1 drives it.

SegEarth-R1 calls upstream's ``forward_woconcat`` with the description embedding as the only query and no learned
queries (upstream_behaviour.md item 12):
- the query position embedding is zeros, so queries enter attention as they are;
- a first prediction is made from the raw query; then each layer does masked cross-attention to one level
  (coarsest, middle, finest, cycling; keys carry the sine position encoding, values do not, both carry the level
  embedding), self-attention, and a ReLU feed-forward, all post-norm, followed by a new prediction;
- a prediction is ``decoder_norm`` -> 3-layer ``mask_embed`` MLP -> dot product with every mask-feature pixel;
- the next layer may only attend where ``sigmoid(bilinear downsample of the prediction) >= 0.5``; a query whose
  mask would hide everything attends everywhere instead.

The learned query tables (``query_feat``, ``query_embed``, ``SEG_query_embed``, ``new_query_embed``) and the
``SEG_proj``/``CLASS_proj`` heads are stored in the release but unused in this mode; they exist here only so the
checkpoint loads strictly. ``input_proj`` holds nothing because the pixel decoder's width equals ours.

SegEarth-R2 drives the same decoder with several queries that must not see each other (r2/modeling/decoder.py):
``independent_queries`` replaces self-attention among the queries by each query's attention to itself alone, and
its release has no ``CLASS_proj`` (``class_head=False``). The query count is never frozen into a trace.

Attention is written out with ``nn.MultiheadAttention``'s parameter names and arithmetic (scale q, add the mask,
softmax, weight v) so the masks become a plain additive -inf bias: it traces into an ONNX graph without
data-dependent control flow.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from segearth_engine.models.r1.config import MaskDecoderConfig
from segearth_engine.models.r1.modeling.position import sine_position_encoding
from segearth_engine.models.r1.modeling.tracing import static_int

NUM_LEVELS = 3


class Attention(nn.Module):
    """Multi-head attention with ``nn.MultiheadAttention``'s tensors (packed q/k/v in-projection), batch first."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"width {dim} is not divisible by {heads} heads")
        self.heads = heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * dim))
        self.out_proj = nn.Linear(dim, dim)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.in_proj_bias)

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, dim = static_int(x.shape[0]), static_int(x.shape[-1])
        return x.reshape(batch, -1, self.heads, dim // self.heads).transpose(1, 2)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                bias: torch.Tensor | None = None) -> torch.Tensor:
        """query [B, Q, C], key/value [B, K, C], bias broadcastable to [B, heads, Q, K] -> [B, Q, C]."""
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = self.in_proj_bias.chunk(3)
        q = self._split_heads(F.linear(query, w_q, b_q))
        k = self._split_heads(F.linear(key, w_k, b_k))
        v = self._split_heads(F.linear(value, w_v, b_v))
        scores = (q * math.sqrt(1.0 / static_int(q.shape[-1]))) @ k.transpose(-2, -1)
        if bias is not None:
            scores = scores + bias
        out = scores.softmax(-1) @ v
        batch, _, _, head_dim = (static_int(s) for s in out.shape)
        return self.out_proj(out.transpose(1, 2).reshape(batch, -1, self.heads * head_dim))

    def alone(self, x: torch.Tensor) -> torch.Tensor:
        """Each query attending to itself only: softmax over one key is 1, so only ``out_proj(v_proj(x))`` remains."""
        _, _, w_v = self.in_proj_weight.chunk(3)
        _, _, b_v = self.in_proj_bias.chunk(3)
        return self.out_proj(F.linear(x, w_v, b_v))


class CrossAttentionLayer(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.multihead_attn = Attention(dim, heads)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x, keys, values, bias):
        return self.norm(x + self.multihead_attn(x, keys, values, bias))


class SelfAttentionLayer(nn.Module):
    def __init__(self, dim: int, heads: int, independent_queries: bool = False) -> None:
        super().__init__()
        self.self_attn = Attention(dim, heads)
        self.norm = nn.LayerNorm(dim)
        self.independent_queries = independent_queries

    def forward(self, x):
        attended = self.self_attn.alone(x) if self.independent_queries else self.self_attn(x, x, x)
        return self.norm(x + attended)


class FFNLayer(nn.Module):
    def __init__(self, dim: int, ffn_dim: int) -> None:
        super().__init__()
        self.linear1 = nn.Linear(dim, ffn_dim)
        self.linear2 = nn.Linear(ffn_dim, dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.norm(x + self.linear2(F.relu(self.linear1(x))))


class MLP(nn.Module):
    """Linear layers with ReLU between them (none after the last)."""

    def __init__(self, in_dim: int, hidden_dim: int, out_dim: int, num_layers: int) -> None:
        super().__init__()
        dims = [in_dim] + [hidden_dim] * (num_layers - 1) + [out_dim]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:], strict=True))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = F.relu(x)
        return x


def attention_bias(logits: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """[B, Q, H, W] mask logits -> [B, 1, Q, h*w] additive bias: -inf where the query must not look, else 0."""
    small = F.interpolate(logits.float(), size=size, mode="bilinear", align_corners=False).to(logits.dtype)
    hidden = small.sigmoid().flatten(2) < 0.5
    hidden = hidden & ~hidden.all(-1, keepdim=True)  # a query that would see nothing sees everything
    return torch.zeros_like(small.flatten(2)).masked_fill(hidden, float("-inf"))[:, None]


class MaskedAttentionDecoder(nn.Module):
    """R1's decoder by default; ``class_head=False, independent_queries=True`` is R2's (see the module docstring)."""

    def __init__(self, cfg: MaskDecoderConfig, mask_dim: int, class_head: bool = True,
                 independent_queries: bool = False) -> None:
        super().__init__()
        dim = cfg.hidden_dim
        self.num_layers = cfg.dec_layers
        self.transformer_self_attention_layers = nn.ModuleList(
            SelfAttentionLayer(dim, cfg.nheads, independent_queries) for _ in range(cfg.dec_layers))
        self.transformer_cross_attention_layers = nn.ModuleList(
            CrossAttentionLayer(dim, cfg.nheads) for _ in range(cfg.dec_layers))
        self.transformer_ffn_layers = nn.ModuleList(FFNLayer(dim, cfg.dim_feedforward) for _ in range(cfg.dec_layers))
        self.decoder_norm = nn.LayerNorm(dim)
        # Stored, unused by SegEarth-R1 inference (see the module docstring).
        self.query_feat = nn.Embedding(cfg.num_queries, dim)
        self.query_embed = nn.Embedding(cfg.num_queries, dim)
        self.SEG_query_embed = nn.Embedding(cfg.num_queries + 1, dim)
        self.new_query_embed = nn.Embedding(1, dim)
        self.SEG_proj = MLP(dim, dim, dim, 2)
        if class_head:
            self.CLASS_proj = MLP(dim, dim, dim, 2)
        # Used.
        self.level_embed = nn.Embedding(NUM_LEVELS, dim)
        self.mask_embed = MLP(dim, dim, mask_dim, 3)

    def predict(self, x: torch.Tensor, mask_features: torch.Tensor) -> torch.Tensor:
        """Queries [B, Q, C] -> mask logits [B, Q, H, W] at the mask features' resolution."""
        return torch.einsum("bqc,bchw->bqhw", self.mask_embed(self.decoder_norm(x)), mask_features)

    def forward(self, features: list[torch.Tensor], mask_features: torch.Tensor, query: torch.Tensor
                ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """features: 3 maps [B, C, h, w] coarsest first; query [B, Q, C] -> (final logits, earlier predictions)."""
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
        x = query
        logits = self.predict(x, mask_features)
        earlier = []
        for i in range(self.num_layers):
            level = i % NUM_LEVELS
            bias = attention_bias(logits, sizes[level])
            x = self.transformer_cross_attention_layers[i](x, keys[level], values[level], bias)
            x = self.transformer_self_attention_layers[i](x)
            x = self.transformer_ffn_layers[i](x)
            earlier.append(logits)
            logits = self.predict(x, mask_features)
        return logits, earlier
