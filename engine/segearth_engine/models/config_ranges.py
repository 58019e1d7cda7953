"""Allowed ranges of every number in a model's config.json, checked before anything is built.

Why: a config value is used as a layer count, a width or a divisor long before any weight is read, so `0` heads
divides by zero, `hidden_size` 10^9 asks for terabytes and `num_hidden_layers` 10^6 builds layers until memory runs
out. Each value is checked here against a range wide enough for every released SegEarth model and any plausible
derivative, and a bad one is refused with a message naming the key and the range.
"""

from __future__ import annotations

import math
from dataclasses import fields, is_dataclass
from typing import Any

from segearth_engine.errors import ModelFilesError

# field name -> inclusive (min, max); a name used by several sub-configs shares its range
RANGES: dict[str, tuple[float, float]] = {
    "vocab_size": (1, 1_000_000), "hidden_size": (1, 16_384), "intermediate_size": (1, 131_072),
    "num_hidden_layers": (1, 256), "num_attention_heads": (1, 256), "partial_rotary_factor": (0.0, 1.0),
    "rope_theta": (1.0, 1e9), "layer_norm_eps": (1e-12, 0.1), "max_position_embeddings": (1, 131_072),
    "embed_dim": (1, 4096), "depths": (1, 64), "num_heads": (1, 256), "window_size": (1, 128),
    "mlp_ratio": (0.25, 16.0), "patch_size": (1, 64), "conv_dim": (1, 4096), "mask_dim": (1, 4096),
    "nheads": (1, 256), "dim_feedforward": (1, 131_072), "enc_layers": (0, 64), "n_points": (1, 64),
    "hidden_dim": (1, 4096), "dec_layers": (1, 64), "num_queries": (1, 1000), "additional_dim": (1, 8192),
    "heads": (1, 256), "dim_head": (1, 1024), "depth": (1, 64), "ff_mult": (1, 16), "image_size": (1, 4096),
    "mm_vision_select_layer": (-256, 256), "lm_head_rows": (1, 1_000_000), "pad_token_id": (0, 999_999),
    "seg_token_id": (0, 999_999), "pad_value": (0.0, 255.0),
}
MODEL_IMAGE_SIZE = (32, 4096)  # the segmenting canvas: a multiple of 32 (checked elsewhere) in this range


class ConfigValueError(ModelFilesError, ValueError):
    """A config.json value of the wrong type or outside its allowed range; the message names the key."""


def _describe(value: Any) -> str:
    return f"the text {value!r}" if isinstance(value, str) else repr(value)


def check_number(key: str, value: Any, integer: bool, allowed: tuple[float, float] | None) -> None:
    """`value` must be an int (or, for floats, an int or float), finite, and inside `allowed`."""
    lo, hi = allowed if allowed is not None else (-math.inf, math.inf)
    what = "an integer" if integer else "a number"
    span = f" from {lo:g} to {hi:g}" if allowed is not None else ""
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type or not math.isfinite(value) or not lo <= value <= hi:
        raise ConfigValueError(f"config.json: {key} must be {what}{span}, not {_describe(value)}")


def check_values(config: Any, prefix: str = "") -> None:
    """Every int/float/str/tuple field of a config dataclass (nested ones included) against RANGES."""
    for f in fields(config):
        value, key = getattr(config, f.name), f"{prefix}{f.name}"
        kind = str(f.type)
        if is_dataclass(value):
            check_values(value, f"{key}.")
        elif kind == "str":
            if not isinstance(value, str):
                raise ConfigValueError(f"config.json: {key} must be a text, not {_describe(value)}")
        elif kind in ("int", "float"):
            check_number(key, value, kind == "int", RANGES.get(f.name))
        elif kind.startswith("tuple"):
            if not isinstance(value, tuple | list) or not 1 <= len(value) <= 16:
                raise ConfigValueError(f"config.json: {key} must be a list of 1 to 16 integers, not "
                                       f"{_describe(value)}")
            for index, item in enumerate(value):
                check_number(f"{key}[{index}]", item, True, RANGES.get(f.name))
