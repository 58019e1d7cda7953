"""Which model family a folder holds, and loading it as a Segmenter of that family.

The family is read from config.json (cheap: no torch): SegEarth-R2 declares its architecture, everything else is
SegEarth-R1. Each family's segmenter module is imported only when a model of that family is loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from segearth_engine.errors import InputError
from segearth_engine.models.base import Segmenter
from segearth_engine.models.r1.config import ENGINE_CONFIG_KEY
from segearth_engine.models.r2.config import is_r2_config

R1, R2 = "SegEarth-R1", "SegEarth-R2"
FAMILIES = (R1, R2)
#: families that answer one question per view (their answers name targets, which tiles cannot stitch)
VIEW_ONLY_FAMILIES = frozenset({R2})
VIEW_ONLY_MESSAGE = ("SegEarth-R2 models answer in single view mode only (tiled mode cannot stitch answers whose "
                     "targets differ from tile to tile)")


def family_of_config(raw: dict[str, Any]) -> str:
    """R1 or R2 from a parsed config.json."""
    return R2 if is_r2_config(raw) else R1


def is_test_config(raw: dict[str, Any]) -> bool:
    """True for a config written by the tiny-model makers (random weights): it carries explicit small widths."""
    return ENGINE_CONFIG_KEY in raw


def read_folder_config(model_dir: str | Path) -> dict[str, Any]:
    """config.json of a model folder as a dict; {} when it is missing or unreadable (the loader says why later)."""
    try:
        raw = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def model_family(model_dir: str | Path) -> str:
    return family_of_config(read_folder_config(model_dir))


def check_mode(family: str, mode: str) -> None:
    """The one place of the rule "SegEarth-R2 runs in view mode only": InputError otherwise."""
    if family in VIEW_ONLY_FAMILIES and mode != "view":
        raise InputError(VIEW_ONLY_MESSAGE)


def load_segmenter(model: str | Path, backend: str = "auto", device: str = "auto", revision: str | None = None,
                   export_dir: str | Path | None = None, llm_precision: str = "auto",
                   low_memory: bool = False) -> Segmenter:
    """A local model folder (or a pinned hub repo id) loaded as the Segmenter of its family.

    `llm_precision` and `low_memory` are SegEarth-R1 options (models/r1/segmenter.Segmenter.from_pretrained);
    SegEarth-R2 runs its LLM in fp32 and has no low-memory mode yet, so asking for either is an InputError."""
    from segearth_engine.models.first_load import resolve_model_dir

    model_dir = resolve_model_dir(model, revision)
    if model_family(model_dir) == R2:
        from segearth_engine.models.r2.segmenter import R2Segmenter

        if low_memory or llm_precision not in ("auto", "fp32"):
            raise InputError("SegEarth-R2 runs its LLM in fp32 and has no low-memory mode yet")
        return R2Segmenter.from_pretrained(model_dir, backend, device, export_dir)
    from segearth_engine.models.r1.segmenter import Segmenter as R1Segmenter

    return R1Segmenter.from_pretrained(model_dir, backend, device, None, export_dir, llm_precision, low_memory)
