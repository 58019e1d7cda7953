"""One question on a raster: extent -> view or tiles -> stitched logits -> polygons in the raster's CRS.

Shared by the CLI (rasterio source) and the QGIS plugin (provider source). Steps, each in its own module under geo/:
extent.py (window), radiometry.py (bands, stretch, validity), tiling.py (grid, tiles, blending), store.py (where
stitched rows go), vectorize.py (polygons, attributes), writers.py (files).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from segearth_engine.errors import Cancelled, InputError
from segearth_engine.geo.extent import MIN_PIXELS, extent_window, pixel_size
from segearth_engine.geo.radiometry import Radiometry, plan_radiometry
from segearth_engine.geo.source import RasterSource, Window
from segearth_engine.geo.store import make_store
from segearth_engine.geo.tiling import Grid, StripStitcher, Tile, TileLayout, make_grid
from segearth_engine.geo.vectorize import vectorise
from segearth_engine.models.base import Segmenter
from segearth_engine.models.families import R2, check_mode
from segearth_engine.pipeline.limits import check_plan
from segearth_engine.pipeline.tile_step import (
    STAGE_OFFSETS,
    OnStage,
    StepCounters,
    TileFeatures,
    answer_tiles,
    encode_tiles,
)
from segearth_engine.runtime.gpu_memory import (
    OomOutcome,
    choose_batch_size,
    free_bytes,
    run_with_oom_fallback,
    tile_bytes,
)
from segearth_engine.types import TASKS

MODES = ("view", "tiled")
STAGES = ("reading", "encoding", "reasoning", "decoding", "vectorising")
Progress = Callable[[float, str], None]
#: where each stage starts within a group of tiles when only encoding (encode_view)
ENCODE_OFFSETS = {"reading": 0.0, "encoding": 0.1}


@dataclass(frozen=True)
class SegmentationRequest:
    """Everything about one run except the raster and the model.

    extent: (minx, miny, maxx, maxy) in `extent_crs` (None: the raster's CRS); None means the whole raster.
    resolution: tiled mode's ground pixel size in the raster CRS's units (None: native). bands: 1-based, 1 or 3.
    overlap: tiled mode's minimum overlap in output pixels. min_area: m². simplify: tolerance in CRS units.
    max_tiles: stop after this many tiles (previews and benchmarks); None processes all.
    """

    question: str
    task: str = "reasoning"
    mode: str = "view"
    extent: tuple[float, float, float, float] | None = None
    extent_crs: str | None = None
    resolution: float | None = None
    bands: tuple[int, ...] | None = None
    overlap: int = 128
    min_area: float = 0.0
    simplify: float = 0.0
    max_tiles: int | None = None

    def checked(self, tile: int, require_question: bool = True) -> SegmentationRequest:
        """InputError for anything a user could have typed wrong. `require_question=False`: for encode_view only,
        which encodes the view before the question is known (the encoder never sees it)."""
        if require_question and (not self.question or not self.question.strip()):
            raise InputError("the question is empty")
        if self.task not in TASKS:
            raise InputError(f"task {self.task!r} is not one of {', '.join(TASKS)}")
        if self.mode not in MODES:
            raise InputError(f"mode {self.mode!r} is not one of {', '.join(MODES)}")
        if not 0 <= int(self.overlap) <= tile // 2:
            raise InputError(f"overlap must be between 0 and {tile // 2} pixels, not {self.overlap}")
        if self.resolution is not None and not self.resolution > 0:
            raise InputError(f"resolution must be positive, not {self.resolution}")
        if self.min_area < 0 or self.simplify < 0:
            raise InputError("min_area and simplify cannot be negative")
        return self


@dataclass
class SegmentationResult:
    """Polygons (shapely, raster CRS) with attributes, plus what produced them.

    mask/probability are the output grid's arrays when it fits in memory (None for huge tiled grids); mask codes:
    1 answer, 0 not, 255 invalid input.
    """

    features: list
    crs_wkt: str
    transform: object
    shape: tuple[int, int]
    window: Window
    mode: str
    model: str
    device: str
    tiles: int
    tiles_total: int
    encoder_calls: int
    cache_hits: int
    mask: np.ndarray | None = None
    probability: np.ndarray | None = None
    timings: dict[str, float] = field(default_factory=dict)
    answer: str | None = None  # multi-target models (SegEarth-R2): the generated text answer
    notes: list[str] = field(default_factory=list)  # what the user should know about how it ran (e.g. GPU -> CPU)
    targets: list[str] = field(default_factory=list)  # ... and the phrase of each target, in answer order

    @property
    def area_m2(self) -> float:
        return float(sum(attrs["area_m2"] for _, attrs in self.features))


def plan_grid(source: RasterSource, window: Window, request: SegmentationRequest, canvas: int) -> Grid:
    """View: long side = the model's canvas. Tiled: native pixels, or `resolution` CRS units per pixel."""
    if request.mode == "view":
        scale = canvas / max(window.width, window.height)
        width, height = max(1, round(window.width * scale)), max(1, round(window.height * scale))
    elif request.resolution:
        px, py = pixel_size(source.transform)
        width = max(1, round(window.width * px / request.resolution))
        height = max(1, round(window.height * py / request.resolution))
        if min(width, height) < MIN_PIXELS:
            raise InputError(f"at resolution {request.resolution} the extent is only {width}x{height} pixels; at "
                             f"least {MIN_PIXELS} are needed (use a finer resolution)")
    else:
        width, height = window.width, window.height
    return make_grid(source.transform, window, width, height)


def require_georeference(source: RasterSource) -> None:
    if not source.crs_wkt or getattr(source, "georeferenced", True) is False:
        raise InputError("the raster has no georeference (coordinate reference system and geotransform); assign "
                         "one first (QGIS: Georeferencer or Layer Properties > Source; GDAL: gdal_edit.py -a_srs)")


def plan_layout(source: RasterSource, request: SegmentationRequest,
                canvas: int) -> tuple[Window, Grid, Radiometry, TileLayout]:
    """The plan every run follows, single-process or on a cluster: window, output grid, one stretch, tiles."""
    window = extent_window(source, request.extent, request.extent_crs)
    grid = plan_grid(source, window, request, canvas)
    check_plan(grid.width, grid.height, min(canvas, grid.height), request.resolution)  # before any allocation
    radiometry = plan_radiometry(source, window, request.bands)
    layout = TileLayout(grid, canvas, int(request.overlap)) if request.mode == "tiled" else TileLayout(
        grid, max(grid.width, grid.height), 0)
    return window, grid, radiometry, layout


class _Run:
    """State of one segment_raster call: progress, cancel and the counters of the shared per-tile step."""

    def __init__(self, source, segmenter: Segmenter, request, radiometry, cache, progress, is_cancelled) -> None:
        self.source, self.segmenter, self.request = source, segmenter, request
        self.radiometry, self.cache = radiometry, cache
        self.progress = progress or (lambda fraction, stage="": None)
        self.is_cancelled = is_cancelled or (lambda: False)
        self.counters = StepCounters()
        self.timings = self.counters.timings
        self.notes: list[str] = []

    def check(self) -> None:
        if self.is_cancelled():
            raise Cancelled()

    def on_stage(self, group: list[tuple[int, Tile]], share: float, offsets=STAGE_OFFSETS) -> OnStage:
        """The per-tile step's stage callback for `group`: progress within the group's share, cancel checks."""
        fraction, span = group[0][0] * share, share * len(group)

        def on_stage(name: str) -> None:
            if name != "decoding":
                self.check()
            self.progress(fraction + offsets[name] * span, name)

        return on_stage

    def group_logits(self, grid: Grid, group: list[tuple[int, Tile]],
                     share: float) -> list[tuple[np.ndarray, np.ndarray]]:
        """(logits, valid) of (index, tile) pairs through the shared per-tile step (tile_step.answer_tiles); a tile
        without valid input is not asked about: its logits are NODATA_LOGIT."""
        answers = answer_tiles(self.segmenter, self.source, grid, self.radiometry, [tile for _, tile in group],
                               self.request.question, self.request.task, self.cache, self.counters,
                               self.on_stage(group, share), self.is_cancelled)
        return [(answer.logits(), answer.valid) for answer in answers]

    def group_features(self, grid: Grid, group: list[tuple[int, Tile]], share: float) -> list[TileFeatures]:
        """The same step up to the cache (tile_step.encode_tiles): features of (index, tile) pairs, nothing asked."""
        return encode_tiles(self.segmenter, self.source, grid, self.radiometry, [tile for _, tile in group],
                            self.cache, self.counters, self.on_stage(group, share, ENCODE_OFFSETS), self.is_cancelled)


def auto_batch_size(segmenter: Segmenter, request: SegmentationRequest) -> int:
    """Tiles per batch: 1 in view mode and on the CPU; on CUDA as many as the free GPU memory holds (estimate)."""
    if request.mode != "tiled" or not segmenter.on_cuda:
        return 1
    return choose_batch_size(free_bytes(), tile_bytes(segmenter.feature_nbytes()))


def _batch(segmenter: Segmenter, request: SegmentationRequest, batch_size: int | None) -> int:
    batch = auto_batch_size(segmenter, request) if batch_size is None else int(batch_size)
    if batch < 1:
        raise InputError(f"batch_size must be at least 1, not {batch_size}")
    return batch


def _process_tiles(run: _Run, layout: TileLayout, total: int, batch_size: int,
                   step_group: Callable[[list[tuple[int, Tile]]], list],
                   consume: Callable[[Tile, object], None]) -> None:
    """The first `total` tiles in order, `batch_size` at a time, through `step_group(group)` (one result per tile),
    each result handed to `consume(tile, result)`; out of GPU memory, the batch is halved and, at one tile, the
    segmenter moves to the CPU (gpu_memory.run_with_oom_fallback)."""
    segmenter = run.segmenter
    to_cpu = segmenter.to_cpu if segmenter.on_cuda else None
    outcome = OomOutcome(max(1, int(batch_size)))
    pending: list[tuple[int, Tile]] = []

    def flush() -> None:
        done: list = []

        def step(batch: int) -> list:
            while len(done) < len(pending):  # after a retry, only the tiles not yet answered
                done.extend(step_group(pending[len(done):len(done) + batch]))
            return done

        run_with_oom_fallback(step, outcome.batch, to_cpu=to_cpu if not outcome.on_cpu else None,
                              notify=run.notes.append, outcome=outcome)
        for (_, tile), result in zip(pending, done, strict=True):
            consume(tile, result)
        pending.clear()

    for index, tile in enumerate(layout):
        if index >= total:
            break
        pending.append((index, tile))
        if len(pending) >= outcome.batch:
            flush()
    if pending:
        flush()


def segment_raster(source: RasterSource, segmenter: Segmenter, request: SegmentationRequest,
                   progress: Progress | None = None,
                   is_cancelled: Callable[[], bool] | None = None, cache=None, mask_path: str | Path | None = None,
                   overwrite: bool = False, batch_size: int | None = None) -> SegmentationResult:
    """Answer `request` on `source` with a single-mask model (SegEarth-R1; api.segment_raster sends SegEarth-R2 to
    targets.py); `mask_path` also writes the answer mask as a GeoTIFF (any extent size).

    `batch_size`: tiles per batch in tiled mode (None: `auto_batch_size`, i.e. 1 on the CPU)."""
    if segmenter.multi_target:
        raise InputError("a multi-target model (SegEarth-R2) answers through pipeline.targets (api.segment_raster)")
    started = time.perf_counter()
    canvas = int(segmenter.image_size)
    request = request.checked(canvas)
    require_georeference(source)
    if mask_path is not None:
        from segearth_engine.geo.writers import check_output

        check_output(mask_path, overwrite, inputs=(getattr(source, "path", ""),))
    if progress:
        progress(0.0, "reading")
    window, grid, radiometry, layout = plan_layout(source, request, canvas)
    total = len(layout) if request.max_tiles is None else min(len(layout), int(request.max_tiles))
    run = _Run(source, segmenter, request, radiometry, cache, progress, is_cancelled)
    store = make_store(grid.height, grid.width, grid.transform, source.crs_wkt)
    try:
        stitcher = StripStitcher(layout, store.write_rows)
        batch = _batch(segmenter, request, batch_size)
        share = 0.9 / max(total, 1)
        _process_tiles(run, layout, total, batch, lambda group: run.group_logits(grid, group, share),
                       lambda tile, answer: stitcher.add(tile, *answer))
        stitcher.finish()
        run.check()
        run.progress(0.9, "vectorising")
        start = time.perf_counter()
        base = {"question": request.question, "model": segmenter.model_id, "mode": request.mode}
        features = vectorise(store, source.crs_wkt, base, request.simplify, request.min_area, run.is_cancelled)
        run.timings["vectorise"] = time.perf_counter() - start
        if mask_path is not None:
            store.write_mask_tif(mask_path, source.crs_wkt, overwrite)
        run.timings["total"] = time.perf_counter() - started
        run.progress(1.0, "vectorising")
        return SegmentationResult(
            features=features, crs_wkt=source.crs_wkt, transform=grid.transform, shape=(grid.height, grid.width),
            window=window, mode=request.mode, model=segmenter.model_id, device=segmenter.device,
            tiles=min(total, len(layout)), tiles_total=len(layout), encoder_calls=run.counters.encoder_calls,
            cache_hits=run.counters.cache_hits, mask=getattr(store, "mask", None),
            probability=getattr(store, "probability", None), timings=run.timings, notes=run.notes)
    finally:
        store.close()


def tiles_to_warm(segmenter: Segmenter, cache, total: int) -> int:
    """How many of `total` tiles a warm-up encodes: those the cache can keep at once (more would evict the first
    ones before the question comes: encoder time spent for nothing); all when the features' size is unknown."""
    nbytes = int(segmenter.feature_nbytes() or 0)
    if nbytes <= 0:
        return total
    return min(total, cache.capacity_bytes(gpu=segmenter.on_cuda) // nbytes)


def encode_view(source: RasterSource, segmenter: Segmenter, request: SegmentationRequest,
                progress: Progress | None = None, is_cancelled: Callable[[], bool] | None = None, *, cache,
                batch_size: int | None = None) -> int:
    """Encode into `cache` the tiles that segment_raster (either family: api.segment_raster) will look up for
    `request`, before its question is known; returns how many tiles this call encoded (0: all were cached, or
    encoded meanwhile by another caller sharing the cache, which was waited for).

    The same plan (request checks but the question, georeference, limits, extent, grid, radiometry, tiles) and the
    same per-tile step up to the cache (tile_step.encode_tiles) as the question's run, so the entries are exactly
    the ones it looks up; then what the LLM can compute before the question (Segmenter.prepare_question, for
    `request.task`) is kept with each encoding. Only as many tiles as the cache keeps at once (tiles_to_warm);
    Cancelled as a run."""
    if cache is None:
        raise InputError("encode_view needs a FeatureCache: the features it makes are kept there")
    canvas = int(segmenter.image_size)
    request = request.checked(canvas, require_question=False)
    if segmenter.multi_target:
        check_mode(R2, request.mode)
    require_georeference(source)
    run = _Run(source, segmenter, request, None, cache, progress, is_cancelled)
    run.check()
    run.progress(0.0, "reading")
    _, grid, run.radiometry, layout = plan_layout(source, request, canvas)
    total = len(layout) if request.max_tiles is None else min(len(layout), int(request.max_tiles))
    total = tiles_to_warm(segmenter, cache, total)
    prepare = getattr(segmenter, "prepare_question", None)  # what the LLM can do before the question (R1)

    def prepared(_tile: Tile, features: TileFeatures) -> None:
        if prepare is not None and features.encoded is not None:
            run.check()
            prepare(features.encoded, request.task)

    if total > 0:
        share = 1.0 / total
        _process_tiles(run, layout, total, _batch(segmenter, request, batch_size),
                       lambda group: run.group_features(grid, group, share), prepared)
        cache.refresh()  # the prepared LLM state is kept with the encodings: counted in the cache's budget
    run.check()
    run.progress(1.0, "encoding")
    return run.counters.encoder_calls
