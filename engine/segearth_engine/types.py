"""Values that cross the engine's public API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Task = Literal["reasoning", "referring"]
TASKS: tuple[str, ...] = ("reasoning", "referring")


@dataclass(frozen=True)
class Letterbox:
    """How an image was fitted into the model's square canvas (upstream: long side to 1024, centred zero pad)."""

    height: int
    width: int
    new_height: int
    new_width: int
    top: int
    left: int
    size: int


@dataclass
class EncodedImage:
    """Question-independent encoder outputs of one image; cacheable and reusable across questions."""

    tensors: dict[str, Any]
    letterbox: Letterbox
    backend: str

    @property
    def nbytes(self) -> int:
        return int(sum(getattr(t, "nbytes", 0) for t in self.tensors.values()))


@dataclass
class MaskPrediction:
    """One question's answer on one image, at the input image's size.

    `logits` are the model's mask logits, bilinearly resampled to the input size (for blending across tiles);
    `mask` is upstream's decision (logit > 0 on the 1024 canvas), cropped and resized with nearest neighbour.
    `canvas_logits` are the logits on the padded square canvas, which is what upstream's metrics score.
    """

    logits: np.ndarray
    mask: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    canvas_logits: np.ndarray | None = None


@dataclass
class TargetMask:
    """One target of a multi-target answer (SegEarth-R2): the phrase the model wrote before its [SEG], and its mask."""

    phrase: str
    logits: np.ndarray
    mask: np.ndarray
    canvas_logits: np.ndarray | None = None


@dataclass
class MultiTargetPrediction:
    """A generated answer and one mask per [SEG] in it, at the input image's size (SegEarth-R2)."""

    answer: str
    targets: list[TargetMask]
    timings: dict[str, float] = field(default_factory=dict)
