"""The per-tile step every run shares: read a tile, encode it (or take its cached features), ask the question.

Used by the single-process pipeline (raster.py: tiles and views of SegEarth-R1), the SegEarth-R2 view run
(targets.py) and the Dask tasks (distributed/tasks.py), so that all three read, encode and answer a tile the same
way and a cluster run blends to the single-process answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from segearth_engine.geo.radiometry import Radiometry
from segearth_engine.geo.source import RasterSource, Window
from segearth_engine.geo.tiling import Grid, Tile
from segearth_engine.models.base import Prediction, Segmenter

NODATA_LOGIT = -30.0  # logit of every pixel of a tile without valid input (the model is not asked)
#: stage -> where it starts within a group of tiles (0..1), for progress reports
STAGE_OFFSETS = {"reading": 0.0, "encoding": 0.1, "reasoning": 0.6, "decoding": 0.9}
OnStage = Callable[[str], None]


def cache_key(source: RasterSource, window: Window, shape: tuple[int, int], radiometry: Radiometry,
              segmenter: Segmenter) -> tuple:
    """What makes a tile's encoder features reusable: raster, window, output size, band stretch and model."""
    model = (segmenter.model_id, str(segmenter.model_dir), segmenter.backend)
    return (source.source_id, (window.col_off, window.row_off, window.width, window.height), shape,
            radiometry.key(), model)


def _counts() -> dict[str, float]:
    return {"read": 0.0, "encoder": 0.0, "llm": 0.0, "decoder": 0.0, "vectorise": 0.0}


@dataclass
class StepCounters:
    """Seconds per stage and encoder/cache counts, summed over the tiles of a run."""

    timings: dict[str, float] = field(default_factory=_counts)
    encoder_calls: int = 0
    cache_hits: int = 0


@dataclass
class TileAnswer:
    """`prediction` is None when the tile holds no valid pixel (the model was not asked)."""

    valid: np.ndarray
    prediction: Prediction | None

    def logits(self) -> np.ndarray:
        """A single-mask answer's logits at tile size (float32); NODATA_LOGIT everywhere for an unasked tile."""
        if self.prediction is None:
            return np.full(self.valid.shape, NODATA_LOGIT, dtype=np.float32)
        return np.asarray(self.prediction.logits, dtype=np.float32)


def answer_tiles(segmenter: Segmenter, source: RasterSource, grid: Grid, radiometry: Radiometry,
                 tiles: Sequence[Tile], question: str, task: str, cache=None, counters: StepCounters | None = None,
                 on_stage: OnStage | None = None) -> list[TileAnswer]:
    """Answers for `tiles`, in order: read each, encode the uncached ones in one batch, one LLM batch for all.

    `on_stage(name)` is called as each stage starts ("reading", then "encoding" when something is encoded,
    "reasoning" and "decoding" when some tile has valid pixels); it may raise Cancelled."""
    counters = counters if counters is not None else StepCounters()
    stage = on_stage or (lambda name: None)
    stage("reading")
    answers: list[TileAnswer | None] = [None] * len(tiles)
    todo: list[list] = []  # [position, encoded or None, valid]
    misses = []  # (slot in todo, cache key, rgb)
    for position, tile in enumerate(tiles):
        start = time.perf_counter()
        window = grid.source_window(tile.col0, tile.row0, tile.width, tile.height)
        rgb, valid = radiometry.read_rgb(source, window, (tile.height, tile.width))
        counters.timings["read"] += time.perf_counter() - start
        if not valid.any():
            answers[position] = TileAnswer(valid, None)
            continue
        key = cache_key(source, window, (tile.height, tile.width), radiometry, segmenter)
        encoded = cache.get(key) if cache is not None else None
        if encoded is None:
            misses.append((len(todo), key, rgb))
        else:
            counters.cache_hits += 1
        todo.append([position, encoded, valid])
    if misses:
        stage("encoding")
        start = time.perf_counter()
        encodings = segmenter.encode_batch([rgb for _, _, rgb in misses])
        counters.timings["encoder"] += time.perf_counter() - start
        counters.encoder_calls += len(misses)
        for (slot, key, _), encoded in zip(misses, encodings, strict=True):
            todo[slot][1] = encoded
            if cache is not None:
                cache.put(key, encoded, encoded.nbytes)
    if todo:
        stage("reasoning")
        predictions = segmenter.segment_batch([encoded for _, encoded, _ in todo], question, task)
        for (position, _, valid), prediction in zip(todo, predictions, strict=True):
            counters.timings["llm"] += prediction.timings.get("llm", 0.0)
            counters.timings["decoder"] += prediction.timings.get("decoder", 0.0)
            answers[position] = TileAnswer(valid, prediction)
        stage("decoding")
    return answers  # type: ignore[return-value]
