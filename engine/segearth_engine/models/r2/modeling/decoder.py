"""SegEarth-R2's mask decoder (upstream ``predictor``): one query per generated [SEG], any number of them.

Upstream runs the Mask2Former masked-attention decoder (``forward_woconcat``, zero query position embedding, as in
R1) with a *batch* of N single-query problems: the pixel features are repeated N times (``repeat_interleave``) and
each [SEG] embedding is the only query of its batch element. Every step is then independent per query:
cross-attention and its mask, the feed-forward, the prediction head, and self-attention, which over a single
query is exactly ``out_proj(v_proj(x))`` (softmax over one key is 1). We compute the same thing with R1's decoder
and the N queries side by side in one batch element (``independent_queries``): features are not copied N times,
and N stays a dynamic axis of the ONNX graph.

Parameters keep upstream's names. R2's predictor has no ``CLASS_proj`` (R1's has), and no ``SEG_norm`` (SEG_NORM is
off in the swin_base yaml, as in R1).
"""

from __future__ import annotations

import torch

from segearth_engine.models.r1.config import MaskDecoderConfig
from segearth_engine.models.r1.modeling.mask_decoder import MaskedAttentionDecoder


class SegQueryDecoder(MaskedAttentionDecoder):
    def __init__(self, cfg: MaskDecoderConfig, mask_dim: int) -> None:
        super().__init__(cfg, mask_dim, class_head=False, independent_queries=True)

    def forward(self, features: list[torch.Tensor], mask_features: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
        """features: 3 maps [1, C, h, w] coarsest first; queries [Q, C] -> final mask logits [1, Q, H, W]."""
        logits, _ = super().forward(features, mask_features, queries[None])
        return logits
