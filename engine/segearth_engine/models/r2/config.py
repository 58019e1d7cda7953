"""SegEarth-R2 widths, read from a checkpoint's config.json.

Upstream saves a `MiphaPhiConfig` (a transformers 4.38.2 `PhiConfig` plus a nested ``vision_config`` holding the
SigLIP tower and the projector, Mipha's layout) with ``architectures: ["SegEarthR2"]``. The Swin-B / Mask2Former
widths are implicit there (hard-coded Swin-B and the ``maskformer2_swin_base_384_bs16_50ep`` yaml), as for R1; tiny
test models store theirs under ``segearth_engine``. Defaults are the release's: Phi-2 (Mipha-3B),
SigLIP-so400m-patch14-384, ``mlp2x_gelu`` projector (tests/fixtures/r2_checkpoint_keys.tsv says how they were derived).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from segearth_engine.models.config_ranges import check_values
from segearth_engine.models.r1.config import (
    ENGINE_CONFIG_KEY,
    ConfigError,
    LLMConfig,
    MaskDecoderConfig,
    PixelDecoderConfig,
    SwinConfig,
    check_decoder_widths,
    check_image_and_llm,
    engine_block,
    engine_sub_config,
    read_config,
)

ARCHITECTURE = "SegEarthR2"
MODEL_TYPE = "mipha_phi"
SUPPORTED_PROJECTOR = "mlp2x_gelu"
LM_HEAD_ROWS = 51200  # upstream re-creates lm_head as Linear(hidden, 51200, bias=False) and never resizes it


def phi2_llm(vocab_size: int = 50296) -> LLMConfig:
    """Phi-2's widths; the vocabulary is len(tokenizer) after upstream adds [SEG] (embeddings are resized to it)."""
    return LLMConfig(vocab_size=vocab_size, hidden_size=2560, intermediate_size=10240, num_hidden_layers=32,
                     num_attention_heads=32, partial_rotary_factor=0.4)


@dataclass(frozen=True)
class SiglipConfig:
    """The LLM's image branch (Mipha's ``vision_tower``): SigLIP-so400m-patch14-384 by default."""

    hidden_size: int = 1152
    intermediate_size: int = 4304
    num_hidden_layers: int = 27
    num_attention_heads: int = 16
    image_size: int = 384
    patch_size: int = 14
    layer_norm_eps: float = 1e-6
    hidden_act: str = "gelu_pytorch_tanh"
    mm_vision_select_layer: int = -2

    @property
    def num_tokens(self) -> int:
        return (self.image_size // self.patch_size) ** 2

    @property
    def used_layers(self) -> int:
        """Layers that run: hidden_states[select] is the output of layer (num_layers + 1 + select) - 1."""
        used = self.num_hidden_layers + 1 + self.mm_vision_select_layer
        if not 0 < used <= self.num_hidden_layers:
            raise ConfigError(f"mm_vision_select_layer {self.mm_vision_select_layer} is out of range")
        return used


@dataclass(frozen=True)
class R2Config:
    llm: LLMConfig = field(default_factory=phi2_llm)
    siglip: SiglipConfig = field(default_factory=SiglipConfig)
    swin: SwinConfig = field(default_factory=SwinConfig)
    pixel_decoder: PixelDecoderConfig = field(default_factory=PixelDecoderConfig)
    mask_decoder: MaskDecoderConfig = field(default_factory=MaskDecoderConfig)
    lm_head_rows: int = LM_HEAD_ROWS
    image_size: int = 1024
    pad_value: float = 128.0

    # --- config.json round trip -------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> R2Config:
        if not is_r2_config(raw):
            raise ConfigError("config.json is not a SegEarth-R2 model (architectures lacks SegEarthR2)")
        vision = _object(raw, "vision_config")
        tower = _object(vision, "vision_config.vision_tower")
        projector = _object(vision, "vision_config.mm_projector")
        kind = projector.get("mm_projector_type", SUPPORTED_PROJECTOR)
        if kind != SUPPORTED_PROJECTOR:
            raise ConfigError(f"mm_projector_type {kind!r} is not SegEarth-R2's {SUPPORTED_PROJECTOR!r}")
        if "vision_model_name_or_path" in tower and "siglip" not in str(tower["vision_model_name_or_path"]).lower():
            raise ConfigError(f"vision tower {tower['vision_model_name_or_path']!r} is not SigLIP")
        siglip_names = {f.name for f in fields(SiglipConfig)}
        siglip = SiglipConfig(**{k: v for k, v in tower.items() if k in siglip_names})
        llm_names = {f.name for f in fields(LLMConfig)}
        llm = LLMConfig(**{**asdict(phi2_llm()), **{k: v for k, v in raw.items() if k in llm_names}})
        check_values(siglip, "siglip.")
        check_values(llm)
        for key, expected in (("mm_hidden_size", siglip.hidden_size), ("hidden_size", llm.hidden_size)):
            if key in projector and projector[key] != expected:
                raise ConfigError(f"projector {key} {projector[key]} differs from {expected}")
        extra = engine_block(raw, {"swin", "pixel_decoder", "mask_decoder", "image_size", "lm_head_rows"})
        cfg = cls(llm=llm, siglip=siglip, swin=engine_sub_config(extra, SwinConfig, "swin"),
                  pixel_decoder=engine_sub_config(extra, PixelDecoderConfig, "pixel_decoder"),
                  mask_decoder=engine_sub_config(extra, MaskDecoderConfig, "mask_decoder"),
                  lm_head_rows=extra.get("lm_head_rows", LM_HEAD_ROWS),
                  image_size=extra.get("image_size", 1024))
        check_values(cfg)
        cfg.validate()
        return cfg

    @classmethod
    def from_file(cls, path: str | Path) -> R2Config:
        return cls.from_dict(read_config(path))

    def to_dict(self) -> dict[str, Any]:
        """A config.json in upstream's layout (Phi fields flat, SigLIP and projector under vision_config)."""
        tower = {**asdict(self.siglip), "model_type": "mipha_vision_model", "num_channels": 3,
                 "mm_vision_select_feature": "patch",
                 "vision_model_name_or_path": "google/siglip-so400m-patch14-384"}
        out: dict[str, Any] = {
            "architectures": [ARCHITECTURE],
            "model_type": MODEL_TYPE,
            **asdict(self.llm),
            "vision_config": {
                "vision_tower": tower,
                "mm_projector": {"mm_projector_type": SUPPORTED_PROJECTOR, "mm_hidden_size": self.siglip.hidden_size,
                                 "hidden_size": self.llm.hidden_size, "model_type": "mipha_projector"},
            },
            "swin_type": "base",
            "mask_decode_train": True,
            "tie_word_embeddings": False,
            "torch_dtype": "bfloat16",
        }
        release = R2Config(llm=self.llm, siglip=self.siglip)
        if self != release:
            out[ENGINE_CONFIG_KEY] = {
                "swin": asdict(self.swin),
                "pixel_decoder": asdict(self.pixel_decoder),
                "mask_decoder": asdict(self.mask_decoder),
                "image_size": self.image_size,
                "lm_head_rows": self.lm_head_rows,
            }
        return out

    def validate(self) -> None:
        check_image_and_llm(self.image_size, self.llm)
        if self.siglip.hidden_size % self.siglip.num_attention_heads:
            raise ConfigError("SigLIP hidden_size is not divisible by its heads")
        if self.siglip.image_size < self.siglip.patch_size:  # 384 px / 14 px patches: 27 (the rest is cut off)
            raise ConfigError("SigLIP image_size is smaller than its patch size")
        self.siglip.used_layers  # noqa: B018 - raises on a bad select layer
        if self.lm_head_rows < self.llm.vocab_size:
            raise ConfigError(f"lm_head has {self.lm_head_rows} rows, fewer than the {self.llm.vocab_size} embeddings")
        check_decoder_widths(self.pixel_decoder, self.mask_decoder)


def _object(raw: dict[str, Any], key: str) -> dict[str, Any]:
    """raw[key's last part] as a dict ({} when absent); anything else is refused naming the key."""
    value = raw.get(key.rsplit(".", 1)[-1]) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"config.json: {key} must be a JSON object, not {value!r}")
    return dict(value)


def is_r2_config(raw: dict[str, Any]) -> bool:
    """True for a SegEarth-R2 config.json (what models/families.load_segmenter dispatches on)."""
    architectures = raw.get("architectures") or []
    return (isinstance(architectures, list) and ARCHITECTURE in architectures) or raw.get("model_type") == MODEL_TYPE


def tiny_r2_config() -> R2Config:
    """Small widths, the release's depths (32 Phi layers, 27 SigLIP layers, Swin 2/2/18/2, 6+9 decoder layers).

    SigLIP runs at 56 px with 14 px patches (16 tokens), so a test spends its time on plumbing, not on width.
    """
    return R2Config(
        llm=LLMConfig(vocab_size=50297, hidden_size=64, intermediate_size=128, num_hidden_layers=32,
                      num_attention_heads=4, partial_rotary_factor=0.4),
        siglip=SiglipConfig(hidden_size=32, intermediate_size=48, num_attention_heads=2, image_size=56),
        swin=SwinConfig(embed_dim=16, num_heads=(1, 2, 2, 4)),
        pixel_decoder=PixelDecoderConfig(conv_dim=32, mask_dim=32, nheads=2, dim_feedforward=64),
        mask_decoder=MaskDecoderConfig(hidden_dim=32, nheads=2, dim_feedforward=64),
        lm_head_rows=LM_HEAD_ROWS,
    )
