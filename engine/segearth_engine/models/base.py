"""What every model family offers the pipeline, the CLI and the plugin: the Segmenter protocol.

SegEarth-R1 (models/r1/segmenter.Segmenter) and SegEarth-R2 (models/r2/segmenter.R2Segmenter) both satisfy it, so
callers use these names directly instead of probing with getattr/hasattr. `multi_target` tells what `segment`
returns: a MaskPrediction (one mask) or a MultiTargetPrediction (a text answer and one mask per [SEG] target).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from segearth_engine.types import EncodedImage, MaskPrediction, MultiTargetPrediction

Prediction = MaskPrediction | MultiTargetPrediction


@runtime_checkable
class Segmenter(Protocol):
    """A loaded model: encode images once, answer questions about the encodings. A family may also offer
    `prepare_question(encoded, task)`: what every question on an encoding shares, computed before the question is
    known (SegEarth-R1: the LLM's prompt prefix); pipelines call it where it exists (raster.encode_view)."""

    model_dir: Path
    model_id: str  # the hub repo id of a downloaded release, else the folder's name
    backend: str  # "onnx" or "torch"
    device: str  # where it runs, in words (changes when a run moves from the GPU to the CPU)
    llm_precision: str
    low_memory: bool
    encoder_calls: int
    multi_target: bool

    @property
    def image_size(self) -> int:
        """The model's square canvas in pixels (a view's long side, a tile's side)."""

    @property
    def llm_loads(self) -> int:
        """How often the LLM was loaded (more than once only in low-memory mode)."""

    @property
    def on_cuda(self) -> bool:
        """True while it runs on a CUDA device."""

    def encode(self, image: np.ndarray, is_cancelled: Callable[[], bool] | None = None) -> EncodedImage:
        """Question-independent features of an HxWx3 uint8 RGB image; Cancelled soon after `is_cancelled()` turns
        true, also in the middle of the encoder run."""

    def encode_batch(self, images: Sequence[np.ndarray],
                     is_cancelled: Callable[[], bool] | None = None) -> list[EncodedImage]:
        """Features of several images (tiles), in order; Cancelled as `encode`."""

    def segment(self, encoded: EncodedImage, question: str, task: str = "reasoning") -> Prediction:
        """One question about one encoded image."""

    def segment_batch(self, encoded: Sequence[EncodedImage], question: str,
                      task: str = "reasoning") -> list[Prediction]:
        """One question about several encoded images, in order."""

    def feature_nbytes(self) -> int:
        """Bytes of one image's encoder outputs (0 when unknown): sizes a batch of tiles on the GPU."""

    def to_cpu(self) -> None:
        """Go on running on the CPU (after the GPU ran out of memory); nothing to do on the CPU."""

    def release(self) -> None:
        """Drop what reloads on demand (low-memory mode), or nothing."""
