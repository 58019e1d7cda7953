"""SegEarth-R2 assembled from its parts, split the way it is deployed.

- `encode`: both image branches, question independent (the vision-encoder ONNX graph): SigLIP + projector give the
  LLM's image tokens; Swin-B + the Mask2Former pixel decoder give the mask decoder's features. Swin runs once.
- the LLM (`llm`, transformers `PhiForCausalLM`) generates the answer in process (r2/generation.py);
- `decode`: `SEG_token_projector` + the mask decoder, one query per [SEG] (the mask-decoder ONNX graph).

Module names follow the checkpoint except for three prefixes (r2/checkpoint.py maps them).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from segearth_engine.models.r1.modeling.pixel_decoder import MSDeformAttnPixelDecoder
from segearth_engine.models.r1.modeling.swin import SwinTransformer
from segearth_engine.models.r2.config import R2Config, SiglipConfig
from segearth_engine.models.r2.modeling.decoder import SegQueryDecoder

ENCODER_INPUTS = ("pixel_values", "clip_pixel_values")
ENCODER_OUTPUTS = ("visual_tokens", "ms0", "ms1", "ms2", "mask_features")
DECODER_INPUTS = ("seg_hidden", "ms0", "ms1", "ms2", "mask_features")


def build_siglip(cfg: SiglipConfig, attn_implementation: str = "sdpa"):
    """transformers' SigLIP vision tower (the head and post-norm are stored upstream; they never run here)."""
    from transformers import SiglipVisionConfig, SiglipVisionModel

    config = SiglipVisionConfig(
        hidden_size=cfg.hidden_size, intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_hidden_layers, num_attention_heads=cfg.num_attention_heads,
        image_size=cfg.image_size, patch_size=cfg.patch_size, layer_norm_eps=cfg.layer_norm_eps,
        hidden_act=cfg.hidden_act, attention_dropout=0.0, vision_use_head=True,
        attn_implementation=attn_implementation)
    return SiglipVisionModel(config).eval()


def build_phi_lm(cfg: R2Config, attn_implementation: str = "sdpa"):
    """`PhiForCausalLM` with upstream's lm_head: Linear(hidden, 51200, bias=False), more rows than embeddings."""
    from transformers import PhiConfig, PhiForCausalLM

    llm = cfg.llm
    config = PhiConfig(
        vocab_size=llm.vocab_size, hidden_size=llm.hidden_size, intermediate_size=llm.intermediate_size,
        num_hidden_layers=llm.num_hidden_layers, num_attention_heads=llm.num_attention_heads,
        num_key_value_heads=llm.num_attention_heads, hidden_act=llm.hidden_act,
        max_position_embeddings=llm.max_position_embeddings, layer_norm_eps=llm.layer_norm_eps,
        rope_parameters={"rope_type": "default", "rope_theta": llm.rope_theta,
                         "partial_rotary_factor": llm.partial_rotary_factor},
        resid_pdrop=0.0, embd_pdrop=0.0, attention_dropout=0.0, qk_layernorm=False, tie_word_embeddings=False,
        use_cache=True, attn_implementation=attn_implementation)
    model = PhiForCausalLM(config)
    model.lm_head = nn.Linear(llm.hidden_size, cfg.lm_head_rows, bias=False)
    return model.eval()


def mlp2x_gelu(in_dim: int, out_dim: int) -> nn.Sequential:
    """Mipha's `mlp2x_gelu` projector (names 0 and 2 in the checkpoint)."""
    return nn.Sequential(nn.Linear(in_dim, out_dim), nn.GELU(), nn.Linear(out_dim, out_dim))


class SegEarthR2(nn.Module):
    def __init__(self, cfg: R2Config) -> None:
        super().__init__()
        self.cfg = cfg
        channels = cfg.swin.channels
        self.llm = build_phi_lm(cfg)
        self.siglip = build_siglip(cfg.siglip)
        self.mm_projector = mlp2x_gelu(cfg.siglip.hidden_size, cfg.llm.hidden_size)
        self.vision_tower_mask = SwinTransformer(cfg.swin)
        self.pixel_decoder = MSDeformAttnPixelDecoder(channels, cfg.pixel_decoder)
        self.predictor = SegQueryDecoder(cfg.mask_decoder, cfg.pixel_decoder.mask_dim)
        self.SEG_token_projector = nn.Linear(cfg.llm.hidden_size, cfg.mask_decoder.hidden_dim)

    # -- question independent --------------------------------------------------------------------------------------
    def image_tokens(self, clip_pixel_values: torch.Tensor) -> torch.Tensor:
        """SigLIP hidden_states[select_layer] (upstream's feature_select) through the projector -> [B, T, hidden]."""
        x = self.siglip.embeddings(clip_pixel_values)
        for layer in self.siglip.encoder.layers[:self.cfg.siglip.used_layers]:
            x = layer(x, None)
        return self.mm_projector(x)

    def mask_features(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, ...]:
        res2, res3, res4, res5 = self.vision_tower_mask(pixel_values)
        mask_features, (ms0, ms1, ms2) = self.pixel_decoder(res2, res3, res4, res5)
        return ms0, ms1, ms2, mask_features

    def encode(self, pixel_values: torch.Tensor, clip_pixel_values: torch.Tensor) -> dict[str, torch.Tensor]:
        visual = self.image_tokens(clip_pixel_values)
        return dict(zip(ENCODER_OUTPUTS, (visual, *self.mask_features(pixel_values)), strict=True))

    # -- per answer ------------------------------------------------------------------------------------------------
    def decode(self, seg_hidden: torch.Tensor, ms0: torch.Tensor, ms1: torch.Tensor, ms2: torch.Tensor,
               mask_features: torch.Tensor) -> torch.Tensor:
        """Last hidden states of the N [SEG] tokens [N, hidden] -> mask logits on the canvas [1, N, S, S]."""
        queries = self.SEG_token_projector(seg_hidden)
        logits = self.predictor([ms0, ms1, ms2], mask_features, queries)
        size = self.cfg.image_size
        return F.interpolate(logits, size=(size, size), mode="bilinear", align_corners=False)


class VisionEncoderGraph(nn.Module):
    """What the R2 vision-encoder ONNX graph computes (both image branches)."""

    def __init__(self, model: SegEarthR2) -> None:
        super().__init__()
        self.model = model

    def forward(self, pixel_values: torch.Tensor, clip_pixel_values: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = self.model.encode(pixel_values, clip_pixel_values)
        return tuple(out[name] for name in ENCODER_OUTPUTS)


class MaskDecoderGraph(nn.Module):
    """What the R2 mask-decoder ONNX graph computes (dynamic number of [SEG] queries)."""

    def __init__(self, model: SegEarthR2) -> None:
        super().__init__()
        self.model = model

    def forward(self, seg_hidden, ms0, ms1, ms2, mask_features) -> torch.Tensor:
        return self.model.decode(seg_hidden, ms0, ms1, ms2, mask_features)
