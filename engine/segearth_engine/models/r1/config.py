"""Model widths, read from a checkpoint's config.json.

The released checkpoints carry a flat Phi/LLaVA config (hidden_size, vocab_size, mm_projector_type, ...) and leave
the vision and mask widths implicit (upstream hard-codes Swin-B and the Mask2Former swin_base yaml). Tiny test models
store their smaller widths under the extra key ``segearth_engine``; when it is absent the release values apply.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from segearth_engine.errors import ModelFilesError
from segearth_engine.models.config_ranges import MODEL_IMAGE_SIZE, RANGES, check_number, check_values

SUPPORTED_PROJECTOR = "SparseConv_1"
ENGINE_CONFIG_KEY = "segearth_engine"


class ConfigError(ModelFilesError, ValueError):
    """A config.json that is missing, unreadable or not a SegEarth-R1 model we can build."""


@dataclass(frozen=True)
class SwinConfig:
    embed_dim: int = 128
    depths: tuple[int, ...] = (2, 2, 18, 2)
    num_heads: tuple[int, ...] = (4, 8, 16, 32)
    window_size: int = 12
    mlp_ratio: float = 4.0
    patch_size: int = 4

    @property
    def channels(self) -> tuple[int, int, int, int]:
        """Channels of res2..res5."""
        return tuple(self.embed_dim * 2**i for i in range(4))  # type: ignore[return-value]


@dataclass(frozen=True)
class PixelDecoderConfig:
    conv_dim: int = 256
    mask_dim: int = 256
    nheads: int = 8
    dim_feedforward: int = 1024
    enc_layers: int = 6
    n_points: int = 4


@dataclass(frozen=True)
class MaskDecoderConfig:
    hidden_dim: int = 256
    nheads: int = 8
    dim_feedforward: int = 2048
    dec_layers: int = 9
    num_queries: int = 100


@dataclass(frozen=True)
class DescriptionConfig:
    additional_dim: int = 512
    heads: int = 8
    dim_head: int = 64
    depth: int = 1
    ff_mult: int = 1


@dataclass(frozen=True)
class LLMConfig:
    """The Phi-1.5 fields that matter for SegEarth-R1 (names as in transformers' PhiConfig)."""

    vocab_size: int = 50297
    hidden_size: int = 2048
    intermediate_size: int = 8192
    num_hidden_layers: int = 24
    num_attention_heads: int = 32
    partial_rotary_factor: float = 0.5
    rope_theta: float = 10000.0
    layer_norm_eps: float = 1e-5
    max_position_embeddings: int = 2048
    hidden_act: str = "gelu_new"

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads


@dataclass(frozen=True)
class SegEarthConfig:
    llm: LLMConfig = field(default_factory=LLMConfig)
    swin: SwinConfig = field(default_factory=SwinConfig)
    pixel_decoder: PixelDecoderConfig = field(default_factory=PixelDecoderConfig)
    mask_decoder: MaskDecoderConfig = field(default_factory=MaskDecoderConfig)
    description: DescriptionConfig = field(default_factory=DescriptionConfig)
    image_size: int = 1024
    pad_token_id: int = 50295
    seg_token_id: int = 50296

    @property
    def connector_grid(self) -> tuple[int, int]:
        """Spatial sizes after the connector's two stride-2 convs (16 and 8 at 1024 px)."""
        res5 = self.image_size // 32
        return (res5 + 1) // 2, ((res5 + 1) // 2 + 1) // 2

    @property
    def num_visual_tokens(self) -> int:
        return self.connector_grid[1] ** 2

    # --- config.json round trip -------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SegEarthConfig:
        projector = raw.get("mm_projector_type", SUPPORTED_PROJECTOR)
        if projector != SUPPORTED_PROJECTOR:
            raise ConfigError(f"mm_projector_type {projector!r} is not SegEarth-R1's {SUPPORTED_PROJECTOR!r}")
        llm_names = {f.name for f in fields(LLMConfig)}
        llm = LLMConfig(**{k: v for k, v in raw.items() if k in llm_names})
        check_values(llm)
        out_dim = raw.get("projector_outdim", llm.hidden_size)
        check_number("projector_outdim", out_dim, True, RANGES["hidden_size"])
        if out_dim != llm.hidden_size:
            raise ConfigError(f"projector_outdim {out_dim} differs from hidden_size {llm.hidden_size}")
        extra = engine_block(raw, {"swin", "pixel_decoder", "mask_decoder", "description", "image_size",
                                   "pad_token_id", "seg_token_id"})
        cfg = cls(
            llm=llm,
            swin=engine_sub_config(extra, SwinConfig, "swin"),
            pixel_decoder=engine_sub_config(extra, PixelDecoderConfig, "pixel_decoder"),
            mask_decoder=engine_sub_config(extra, MaskDecoderConfig, "mask_decoder"),
            description=engine_sub_config(extra, DescriptionConfig, "description"),
            image_size=extra.get("image_size", 1024),
            pad_token_id=extra.get("pad_token_id", 50295),
            seg_token_id=extra.get("seg_token_id", 50296),
        )
        check_values(cfg)
        cfg.validate()
        return cfg

    @classmethod
    def from_file(cls, path: str | Path) -> SegEarthConfig:
        return cls.from_dict(read_config(path))

    def to_dict(self) -> dict[str, Any]:
        """A config.json in the release's flat layout plus our width block."""
        out: dict[str, Any] = {
            "architectures": ["SegEarthR1"],
            "model_type": "llava_phi",
            **asdict(self.llm),
            "mm_projector_type": SUPPORTED_PROJECTOR,
            "projector_outdim": self.llm.hidden_size,
            "mm_hidden_size": self.mask_decoder.hidden_dim,
            "swin_type": "base",
            "tie_word_embeddings": False,
            "torch_dtype": "bfloat16",
            "mask_decode_train": True,
        }
        release = SegEarthConfig()
        if self != replace(release, llm=self.llm):
            out[ENGINE_CONFIG_KEY] = {
                "swin": asdict(self.swin),
                "pixel_decoder": asdict(self.pixel_decoder),
                "mask_decoder": asdict(self.mask_decoder),
                "description": asdict(self.description),
                "image_size": self.image_size,
                "pad_token_id": self.pad_token_id,
                "seg_token_id": self.seg_token_id,
            }
        return out

    def validate(self) -> None:
        check_image_and_llm(self.image_size, self.llm)
        if len(self.swin.depths) != 4 or len(self.swin.num_heads) != 4:
            raise ConfigError("Swin needs four stages")
        if max(self.pad_token_id, self.seg_token_id) >= self.llm.vocab_size:
            raise ConfigError("[PAD]/[SEG] ids lie outside the vocabulary")
        pixel, mask = self.pixel_decoder, self.mask_decoder
        check_decoder_widths(pixel, mask)
        if pixel.conv_dim % pixel.nheads or mask.hidden_dim % mask.nheads:
            raise ConfigError("decoder widths are not divisible by their numbers of heads")


# --- shared with SegEarth-R2's config (r2/config.py) ----------------------------------------------------------------
def read_config(path: str | Path) -> dict[str, Any]:
    """A config.json as a dict; a missing or unreadable file, or JSON that is not an object, is a ConfigError."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config.json is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: config.json must hold a JSON object ({{...}}), not a {type(raw).__name__}")
    return raw


def engine_block(raw: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    """The ``segearth_engine`` block (tiny models' widths; empty for releases); keys outside `allowed` are refused."""
    extra = raw.get(ENGINE_CONFIG_KEY, {})
    if not isinstance(extra, dict):
        raise ConfigError(f"config.json: {ENGINE_CONFIG_KEY!r} must be a JSON object, not {extra!r}")
    unknown = set(extra) - allowed
    if unknown:
        raise ConfigError(f"unknown keys under {ENGINE_CONFIG_KEY!r}: {sorted(unknown)}")
    return extra


def engine_sub_config(extra: dict[str, Any], kind: type, key: str) -> Any:
    """`kind` built from ``extra[key]`` (defaults when absent; JSON lists back to tuples); bad fields name the key."""
    block = extra.get(key, {})
    if not isinstance(block, dict):
        raise ConfigError(f"config.json: {ENGINE_CONFIG_KEY}.{key} must be a JSON object, not {block!r}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in block.items()}
    try:
        return kind(**values)
    except TypeError as exc:
        raise ConfigError(f"{ENGINE_CONFIG_KEY}.{key}: {exc}") from None


def check_image_and_llm(image_size: int, llm: LLMConfig) -> None:
    check_number("image_size", image_size, True, MODEL_IMAGE_SIZE)
    if image_size % 32:
        raise ConfigError(f"image_size {image_size} is not a multiple of 32")
    if llm.hidden_size % llm.num_attention_heads:
        raise ConfigError(f"config.json: hidden_size {llm.hidden_size} is not divisible by num_attention_heads "
                          f"{llm.num_attention_heads}")


def check_decoder_widths(pixel: PixelDecoderConfig, mask: MaskDecoderConfig) -> None:
    if pixel.conv_dim != mask.hidden_dim:
        # upstream would then add 1x1 input projections to the predictor, which the release does not have
        raise ConfigError(f"pixel decoder width {pixel.conv_dim} differs from mask decoder width {mask.hidden_dim}")
    if pixel.conv_dim % 32:
        raise ConfigError(f"pixel decoder width {pixel.conv_dim} is not a multiple of 32 (GroupNorm groups)")


def tiny_config() -> SegEarthConfig:
    """Small widths for tests: same architecture, 1024 px input, 64 visual tokens, and the release's layer counts.

    Only widths shrink (and heads with them); depths stay (Swin 2/2/18/2, 24 Phi layers, 6 encoder and 9 decoder
    layers) so that a tiny checkpoint has exactly the release's tensor names.
    """
    return SegEarthConfig(
        llm=LLMConfig(hidden_size=64, intermediate_size=128, num_attention_heads=4),
        swin=SwinConfig(embed_dim=16, num_heads=(1, 2, 2, 4)),
        pixel_decoder=PixelDecoderConfig(conv_dim=32, mask_dim=32, nheads=2, dim_feedforward=64),
        mask_decoder=MaskDecoderConfig(hidden_dim=32, nheads=2, dim_feedforward=64),
        description=DescriptionConfig(additional_dim=32, heads=2, dim_head=16),
    )
