"""The per-tile step every run shares: read a tile, encode it (or take its cached features), ask the question.
A warm-up (raster.encode_view) runs the same step up to the cache (encode_tiles) and asks nothing.

Used by the single-process pipeline (raster.py: tiles and views of SegEarth-R1), the SegEarth-R2 view run
(targets.py) and the Dask tasks (distributed/tasks.py), so that all three read, encode and answer a tile the same
way and a cluster run blends to the single-process answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from segearth_engine.errors import Cancelled
from segearth_engine.geo.radiometry import Radiometry
from segearth_engine.geo.source import RasterSource, Window
from segearth_engine.geo.tiling import Grid, Tile
from segearth_engine.models.base import Prediction, Segmenter
from segearth_engine.types import EncodedImage

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


@dataclass
class TileFeatures:
    """A tile's validity and its encoder features; `encoded` is None for a tile without valid input (not encoded)."""

    valid: np.ndarray
    encoded: EncodedImage | None = None


Wanted = list[tuple[int, tuple, np.ndarray]]  # (position, cache key, rgb) of the tiles with valid input


def encode_tiles(segmenter: Segmenter, source: RasterSource, grid: Grid, radiometry: Radiometry,
                 tiles: Sequence[Tile], cache=None, counters: StepCounters | None = None,
                 on_stage: OnStage | None = None, is_cancelled: Callable[[], bool] | None = None) -> list[TileFeatures]:
    """Features of `tiles`, in order: read each, take the cached ones, encode the others in one batch and put them in
    `cache`. A tile that another caller sharing the cache is encoding meanwhile (feature_cache: claims) is waited
    for and then taken from the cache, never encoded a second time in parallel.

    `on_stage(name)` is called as each stage starts ("reading", then "encoding" when something is encoded or waited
    for); it may raise Cancelled, and so does a wait once `is_cancelled()`."""
    counters = counters if counters is not None else StepCounters()
    stage = on_stage or (lambda name: None)
    stage("reading")
    features, wanted = _read_tiles(segmenter, source, grid, radiometry, tiles, counters)
    while wanted:
        mine, theirs = _claim(cache, wanted, features, counters)
        if mine:
            _encode(segmenter, mine, features, cache, counters, stage, is_cancelled)
        if theirs:  # only now, holding no claim of this call: two callers never wait for each other
            stage("encoding")
            for _, key, _ in theirs:
                if not cache.wait(key, is_cancelled):
                    raise Cancelled()
        wanted = theirs  # asked again: cached now, or claimed here when the other caller gave up
    return features


def _read_tiles(segmenter: Segmenter, source: RasterSource, grid: Grid, radiometry: Radiometry,
                tiles: Sequence[Tile], counters: StepCounters) -> tuple[list[TileFeatures], Wanted]:
    features: list[TileFeatures] = []
    wanted: Wanted = []
    for position, tile in enumerate(tiles):
        start = time.perf_counter()
        window = grid.source_window(tile.col0, tile.row0, tile.width, tile.height)
        rgb, valid = radiometry.read_rgb(source, window, (tile.height, tile.width))
        counters.timings["read"] += time.perf_counter() - start
        features.append(TileFeatures(valid))
        if valid.any():
            wanted.append((position, cache_key(source, window, (tile.height, tile.width), radiometry, segmenter), rgb))
    return features, wanted


def _claim(cache, wanted: Wanted, features: list[TileFeatures], counters: StepCounters) -> tuple[Wanted, Wanted]:
    """Fill in the cached tiles; the rest split into those this call claimed (it encodes them) and those another
    caller is encoding."""
    if cache is None:
        return wanted, []
    mine: Wanted = []
    theirs: Wanted = []
    for item in wanted:
        encoded, claimed = cache.get_or_claim(item[1])
        if encoded is not None:
            features[item[0]].encoded = encoded
            counters.cache_hits += 1
        else:
            (mine if claimed else theirs).append(item)
    return mine, theirs


def _encode(segmenter: Segmenter, mine: Wanted, features: list[TileFeatures], cache, counters: StepCounters,
            stage: OnStage, is_cancelled: Callable[[], bool] | None) -> None:
    """Encode the claimed tiles in one batch into `features` and the cache; the claims end also on failure/cancel."""
    try:
        stage("encoding")
        start = time.perf_counter()
        encodings = segmenter.encode_batch([rgb for _, _, rgb in mine], is_cancelled=is_cancelled)
        counters.timings["encoder"] += time.perf_counter() - start
        counters.encoder_calls += len(mine)
        for (position, key, _), encoded in zip(mine, encodings, strict=True):
            features[position].encoded = encoded
            if cache is not None:
                cache.put(key, encoded, encoded.nbytes)  # ends the claim
    finally:
        if cache is not None:
            for position, key, _ in mine:
                if features[position].encoded is None:
                    cache.release(key)


def answer_tiles(segmenter: Segmenter, source: RasterSource, grid: Grid, radiometry: Radiometry,
                 tiles: Sequence[Tile], question: str, task: str, cache=None, counters: StepCounters | None = None,
                 on_stage: OnStage | None = None, is_cancelled: Callable[[], bool] | None = None) -> list[TileAnswer]:
    """Answers for `tiles`, in order: their features (encode_tiles), then one LLM batch for all.

    `on_stage(name)` is called as each stage starts ("reading", then "encoding" when something is encoded or waited
    for, "reasoning" and "decoding" when some tile has valid pixels); it may raise Cancelled."""
    counters = counters if counters is not None else StepCounters()
    stage = on_stage or (lambda name: None)
    features = encode_tiles(segmenter, source, grid, radiometry, tiles, cache, counters, stage, is_cancelled)
    answers = [TileAnswer(tile.valid, None) for tile in features]
    todo = [(position, tile) for position, tile in enumerate(features) if tile.encoded is not None]
    if todo:
        stage("reasoning")
        predictions = segmenter.segment_batch([tile.encoded for _, tile in todo], question, task)
        for (position, tile), prediction in zip(todo, predictions, strict=True):
            counters.timings["llm"] += prediction.timings.get("llm", 0.0)
            counters.timings["decoder"] += prediction.timings.get("decoder", 0.0)
            answers[position] = TileAnswer(tile.valid, prediction)
        stage("decoding")
        if cache is not None:
            cache.refresh()  # the question may have kept LLM state with its encodings (EncodedImage.llm_prefix)
    return answers
