"""SegEarth-R1 assembled from its parts, split the way it is deployed.

- `encode`: Swin + connector + pixel decoder. Depends only on the image, so it is cached per image/tile and
  exported as the vision-encoder ONNX graph. Swin runs once (upstream runs it twice with identical results).
- `reason`: the Phi body over the spliced prompt (transformers, in process), mean-pooled over the refer rows.
- `decode`: description projection + masked-attention decoder + upsampling to the canvas; the mask-decoder graph.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from segearth_engine.models.r1.config import SegEarthConfig
from segearth_engine.models.r1.modeling.connector import CompressionConnector
from segearth_engine.models.r1.modeling.description import DescriptionProjection
from segearth_engine.models.r1.modeling.mask_decoder import MaskedAttentionDecoder
from segearth_engine.models.r1.modeling.phi import build_phi
from segearth_engine.models.r1.modeling.pixel_decoder import MSDeformAttnPixelDecoder
from segearth_engine.models.r1.modeling.swin import SwinTransformer

ENCODER_OUTPUTS = ("visual_tokens", "res5", "ms0", "ms1", "ms2", "mask_features")
DECODER_INPUTS = ("pooled", "res5", "ms0", "ms1", "ms2", "mask_features")


class SegEarthR1(nn.Module):
    def __init__(self, cfg: SegEarthConfig) -> None:
        super().__init__()
        self.cfg = cfg
        channels = cfg.swin.channels
        self.llm = build_phi(cfg.llm)
        self.vision_tower = SwinTransformer(cfg.swin)
        self.mm_projector = CompressionConnector(channels[3], cfg.llm.hidden_size, cfg.connector_grid)
        self.pixel_decoder = MSDeformAttnPixelDecoder(channels, cfg.pixel_decoder)
        self.predictor = MaskedAttentionDecoder(cfg.mask_decoder, cfg.pixel_decoder.mask_dim)
        self.description = DescriptionProjection(cfg.llm.hidden_size, channels[3], cfg.mask_decoder.hidden_dim,
                                                 cfg.description)
        # Stored in the release (PSALM-style mask tokens) but unused by SegEarth-R1 inference: kept for strict loading.
        self.seg_query = nn.Parameter(torch.zeros(cfg.mask_decoder.num_queries, cfg.llm.hidden_size))

    # -- question independent --------------------------------------------------------------------------------------
    def encode(self, pixel_values: torch.Tensor) -> dict[str, torch.Tensor]:
        res2, res3, res4, res5 = self.vision_tower(pixel_values)
        mask_features, (ms0, ms1, ms2) = self.pixel_decoder(res2, res3, res4, res5)
        visual_tokens = self.mm_projector(res5)
        return dict(zip(ENCODER_OUTPUTS, (visual_tokens, res5, ms0, ms1, ms2, mask_features), strict=True))

    # -- question dependent ----------------------------------------------------------------------------------------
    def reason(self, inputs_embeds: torch.Tensor, refer_rows: list[int]) -> torch.Tensor:
        """Mean of the last hidden states at the refer rows (question tokens + [SEG]) -> [1, hidden]."""
        positions = torch.arange(inputs_embeds.shape[1], device=inputs_embeds.device)[None]
        hidden = self.llm(inputs_embeds=inputs_embeds, position_ids=positions).last_hidden_state
        return hidden[0, refer_rows].mean(dim=0, keepdim=True)

    def decode(self, pooled: torch.Tensor, res5: torch.Tensor, ms0: torch.Tensor, ms1: torch.Tensor,
               ms2: torch.Tensor, mask_features: torch.Tensor) -> torch.Tensor:
        """Mask logits on the model's square canvas, [B, 1, image_size, image_size]."""
        query = self.description(pooled, res5)
        logits, _ = self.predictor([ms0, ms1, ms2], mask_features, query)
        size = self.cfg.image_size
        return F.interpolate(logits, size=(size, size), mode="bilinear", align_corners=False)

    def embed(self, token_ids: torch.Tensor) -> torch.Tensor:
        return self.llm.embed_tokens(token_ids)


class VisionEncoderGraph(nn.Module):
    """What the vision-encoder ONNX graph computes."""

    def __init__(self, model: SegEarthR1) -> None:
        super().__init__()
        self.model = model

    def forward(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = self.model.encode(pixel_values)
        return tuple(out[name] for name in ENCODER_OUTPUTS)


class MaskDecoderGraph(nn.Module):
    """What the mask-decoder ONNX graph computes."""

    def __init__(self, model: SegEarthR1) -> None:
        super().__init__()
        self.model = model

    def forward(self, pooled, res5, ms0, ms1, ms2, mask_features) -> torch.Tensor:
        return self.model.decode(pooled, res5, ms0, ms1, ms2, mask_features)
