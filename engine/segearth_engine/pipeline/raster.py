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
from segearth_engine.pipeline.limits import check_plan
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
NODATA_LOGIT = -30.0  # logit of every pixel of a tile without valid input (the model is not asked)


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

    def checked(self, tile: int) -> SegmentationRequest:
        """InputError for anything a user could have typed wrong."""
        if not self.question or not self.question.strip():
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


def _cache_key(source: RasterSource, window: Window, shape: tuple[int, int], radiometry: Radiometry, segmenter):
    model = (getattr(segmenter, "model_id", ""), str(getattr(segmenter, "model_dir", "")),
             getattr(segmenter, "backend", ""))
    return (source.source_id, (window.col_off, window.row_off, window.width, window.height), shape,
            radiometry.key(), model)


class _Run:
    """State of one segment_raster call: timings, counters and the per-tile step."""

    def __init__(self, source, segmenter, request, radiometry, cache, progress, is_cancelled) -> None:
        self.source, self.segmenter, self.request = source, segmenter, request
        self.radiometry, self.cache = radiometry, cache
        self.progress = progress or (lambda fraction, stage="": None)
        self.is_cancelled = is_cancelled or (lambda: False)
        self.timings = {"read": 0.0, "encoder": 0.0, "llm": 0.0, "decoder": 0.0, "vectorise": 0.0}
        self.encoder_calls = 0
        self.cache_hits = 0
        self.notes: list[str] = []

    def check(self) -> None:
        if self.is_cancelled():
            raise Cancelled()

    def group_logits(self, grid: Grid, group: list[tuple[int, Tile]],
                     share: float) -> list[tuple[np.ndarray, np.ndarray]]:
        """(logits, valid) of (index, tile) pairs: read each, encode the uncached ones, one LLM pass for all, one
        decoder run each. A tile without valid input is not asked about: its logits are NODATA_LOGIT."""
        self.check()
        fraction, span = group[0][0] * share, share * len(group)
        self.progress(fraction, "reading")
        results: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(group)
        todo, misses = [], []
        for position, (_, tile) in enumerate(group):
            start = time.perf_counter()
            window = grid.source_window(tile.col0, tile.row0, tile.width, tile.height)
            rgb, valid = self.radiometry.read_rgb(self.source, window, (tile.height, tile.width))
            self.timings["read"] += time.perf_counter() - start
            if not valid.any():
                results[position] = (np.full((tile.height, tile.width), NODATA_LOGIT, dtype=np.float32), valid)
                continue
            key = _cache_key(self.source, window, (tile.height, tile.width), self.radiometry, self.segmenter)
            encoded = self.cache.get(key) if self.cache is not None else None
            if encoded is None:
                misses.append((len(todo), key, rgb))
            else:
                self.cache_hits += 1
            todo.append([position, encoded, valid])
        if misses:
            self.check()
            self.progress(fraction + 0.1 * span, "encoding")
            start = time.perf_counter()
            images = [rgb for _, _, rgb in misses]
            encode_batch = getattr(self.segmenter, "encode_batch", None)
            encodings = encode_batch(images) if encode_batch else [self.segmenter.encode(i) for i in images]
            self.timings["encoder"] += time.perf_counter() - start
            self.encoder_calls += len(misses)
            for (slot, key, _), encoded in zip(misses, encodings, strict=True):
                todo[slot][1] = encoded
                if self.cache is not None:
                    self.cache.put(key, encoded, getattr(encoded, "nbytes", None))
        if todo:
            self.check()
            self.progress(fraction + 0.6 * span, "reasoning")
            encodings = [encoded for _, encoded, _ in todo]
            segment_batch = getattr(self.segmenter, "segment_batch", None)
            question, task = self.request.question, self.request.task
            predictions = (segment_batch(encodings, question, task) if segment_batch
                           else [self.segmenter.segment(e, question, task) for e in encodings])
            for (position, _, valid), prediction in zip(todo, predictions, strict=True):
                self.timings["llm"] += prediction.timings.get("llm", 0.0)
                self.timings["decoder"] += prediction.timings.get("decoder", 0.0)
                results[position] = (np.asarray(prediction.logits, dtype=np.float32), valid)
            self.progress(fraction + 0.9 * span, "decoding")
        return results  # type: ignore[return-value]


def auto_batch_size(segmenter, request: SegmentationRequest) -> int:
    """Tiles per batch: 1 in view mode and on the CPU; on CUDA as many as the free GPU memory holds (estimate)."""
    if request.mode != "tiled" or not getattr(segmenter, "on_cuda", False):
        return 1
    per_tile = tile_bytes(segmenter.feature_nbytes()) if hasattr(segmenter, "feature_nbytes") else 0
    return choose_batch_size(free_bytes(), per_tile)


def _process_tiles(run: _Run, grid: Grid, layout: TileLayout, total: int, stitcher: StripStitcher,
                   batch_size: int) -> None:
    """Feed the tiles to the stitcher in order, `batch_size` at a time; out of GPU memory, the batch is halved and,
    at one tile, the segmenter moves to the CPU (gpu_memory.run_with_oom_fallback)."""
    share = 0.9 / max(total, 1)
    segmenter = run.segmenter
    to_cpu = segmenter.to_cpu if getattr(segmenter, "on_cuda", False) and hasattr(segmenter, "to_cpu") else None
    outcome = OomOutcome(max(1, int(batch_size)))
    pending: list[tuple[int, Tile]] = []

    def flush() -> None:
        done: list[tuple[np.ndarray, np.ndarray]] = []

        def step(batch: int) -> list[tuple[np.ndarray, np.ndarray]]:
            while len(done) < len(pending):  # after a retry, only the tiles not yet answered
                done.extend(run.group_logits(grid, pending[len(done):len(done) + batch], share))
            return done

        run_with_oom_fallback(step, outcome.batch, to_cpu=to_cpu if not outcome.on_cpu else None,
                              notify=run.notes.append, outcome=outcome)
        for (_, tile), (logits, valid) in zip(pending, done, strict=True):
            stitcher.add(tile, logits, valid)
        pending.clear()

    for index, tile in enumerate(layout):
        if index >= total:
            break
        pending.append((index, tile))
        if len(pending) >= outcome.batch:
            flush()
    if pending:
        flush()


def segment_raster(source: RasterSource, segmenter, request: SegmentationRequest, progress: Progress | None = None,
                   is_cancelled: Callable[[], bool] | None = None, cache=None, mask_path: str | Path | None = None,
                   overwrite: bool = False, batch_size: int | None = None) -> SegmentationResult:
    """Answer `request` on `source`; `mask_path` also writes the answer mask as a GeoTIFF (any extent size).

    `batch_size`: tiles per batch in tiled mode (None: `auto_batch_size`, i.e. 1 on the CPU)."""
    if getattr(segmenter, "multi_target", False):  # SegEarth-R2: one feature set per [SEG] target
        from segearth_engine.pipeline.targets import segment_raster_targets

        return segment_raster_targets(source, segmenter, request, progress, is_cancelled, cache, mask_path, overwrite)
    started = time.perf_counter()
    canvas = int(getattr(segmenter, "image_size", 1024))
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
        batch = auto_batch_size(segmenter, request) if batch_size is None else int(batch_size)
        if batch < 1:
            raise InputError(f"batch_size must be at least 1, not {batch_size}")
        _process_tiles(run, grid, layout, total, stitcher, batch)
        stitcher.finish()
        run.check()
        run.progress(0.9, "vectorising")
        start = time.perf_counter()
        base = {"question": request.question, "model": getattr(segmenter, "model_id", ""), "mode": request.mode}
        features = vectorise(store, source.crs_wkt, base, request.simplify, request.min_area, run.is_cancelled)
        run.timings["vectorise"] = time.perf_counter() - start
        if mask_path is not None:
            store.write_mask_tif(mask_path, source.crs_wkt, overwrite)
        run.timings["total"] = time.perf_counter() - started
        run.progress(1.0, "vectorising")
        return SegmentationResult(
            features=features, crs_wkt=source.crs_wkt, transform=grid.transform, shape=(grid.height, grid.width),
            window=window, mode=request.mode, model=getattr(segmenter, "model_id", ""),
            device=getattr(segmenter, "device", ""), tiles=min(total, len(layout)), tiles_total=len(layout),
            encoder_calls=run.encoder_calls, cache_hits=run.cache_hits, mask=getattr(store, "mask", None),
            probability=getattr(store, "probability", None), timings=run.timings, notes=run.notes)
    finally:
        store.close()
