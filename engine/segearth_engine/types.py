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
    """Question-independent encoder outputs of one image; cacheable and reusable across questions.

    `tensors` are numpy arrays on the host, or torch CUDA tensors when the encoder ran on the GPU through IO binding
    (so the LLM and the decoder read them where they are); `to_host()` gives the host copy.
    """

    tensors: dict[str, Any]
    letterbox: Letterbox
    backend: str
    # What the LLM computed from this image before any question (models/r1/segmenter.py: the prompt's prefix),
    # key -> (state, its size in bytes); kept with the encoding so that a warm-up or a first question serves the next.
    llm_prefix: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def nbytes(self) -> int:
        """The features' bytes and those of what the LLM kept with them (FeatureCache.refresh counts both)."""
        return int(sum(getattr(t, "nbytes", 0) for t in self.tensors.values())
                   + sum(size for _, size in self.llm_prefix.values()))

    @property
    def on_device(self) -> bool:
        """True when any tensor lives in GPU memory."""
        return any(getattr(t, "is_cuda", False) for t in self.tensors.values())

    def to_host(self) -> EncodedImage:
        """The same features as numpy arrays (self when they already are: no copy)."""
        if not self.on_device:
            return self
        tensors = {name: t.detach().cpu().numpy() if hasattr(t, "detach") else t for name, t in self.tensors.items()}
        return EncodedImage(tensors=tensors, letterbox=self.letterbox, backend=self.backend)


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
