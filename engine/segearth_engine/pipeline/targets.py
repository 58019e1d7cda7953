"""A SegEarth-R2 question on a raster: one generated answer, one layer of polygons per [SEG] target.

View mode only (the rule is models/families.check_mode): the model sees the whole extent once (long side = its
canvas) and answers once. Tiled mode would ask the LLM per tile, and tiles can answer with different numbers of
targets and different phrases, so there is no sound way to stitch them yet; it is refused with a clear message.
The tile is read, encoded (or taken from the cache) and answered by the shared per-tile step (tile_step.py).

Each target is vectorised on its own (so targets may overlap) and its features carry `target` (the phrase the
model wrote before its [SEG]) and `target_idx` (0-based, in answer order; a Shapefile allows 10-character field
names). `mask` is a label grid: 0 nothing, i + 1 for target i (a later target wins where they overlap), 255 invalid.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from segearth_engine.errors import Cancelled, InputError
from segearth_engine.geo.source import RasterSource
from segearth_engine.geo.store import MASK_NODATA, make_store
from segearth_engine.geo.vectorize import vectorise
from segearth_engine.models.base import Segmenter
from segearth_engine.models.families import R2, check_mode
from segearth_engine.pipeline.raster import SegmentationRequest, SegmentationResult, plan_layout, require_georeference
from segearth_engine.pipeline.tile_step import NODATA_LOGIT, StepCounters, answer_tiles

#: where each stage starts in a view run's progress (0..1)
PROGRESS = {"reading": 0.0, "encoding": 0.1, "reasoning": 0.4, "decoding": 0.8}


def segment_raster_targets(source: RasterSource, segmenter: Segmenter, request: SegmentationRequest,
                           progress: Callable[[float, str], None] | None = None,
                           is_cancelled: Callable[[], bool] | None = None, cache=None,
                           mask_path: str | Path | None = None, overwrite: bool = False) -> SegmentationResult:
    started = time.perf_counter()
    canvas = int(segmenter.image_size)
    request = request.checked(canvas)
    check_mode(R2, request.mode)
    if mask_path is not None:
        raise InputError("writing a mask GeoTIFF is not available for multi-target answers yet; write polygons")
    require_georeference(source)
    report = progress or (lambda fraction, stage="": None)
    cancelled = is_cancelled or (lambda: False)

    def check() -> None:
        if cancelled():
            raise Cancelled()

    def on_stage(name: str) -> None:
        if name != "reading":  # reported before planning
            check()
            report(PROGRESS[name], name)

    counters = StepCounters()
    timings = counters.timings
    report(0.0, "reading")
    window, grid, radiometry, layout = plan_layout(source, request, canvas)
    tile = next(iter(layout))
    answer = answer_tiles(segmenter, source, grid, radiometry, [tile], request.question, request.task, cache,
                          counters, on_stage, cancelled)[0]
    if answer.prediction is None:
        raise InputError("the extent holds no valid pixels (all nodata or transparent)")
    prediction, valid = answer.prediction, answer.valid
    check()
    report(0.9, "vectorising")
    start = time.perf_counter()
    labels = np.where(valid, 0, MASK_NODATA).astype(np.uint8)
    features = []
    model_id = segmenter.model_id
    for index, target in enumerate(prediction.targets):
        logits = np.where(valid, np.asarray(target.logits, dtype=np.float32), NODATA_LOGIT).astype(np.float32)
        labels[(logits > 0) & valid] = index + 1
        store = make_store(grid.height, grid.width, grid.transform, source.crs_wkt)
        try:
            store.write_rows(0, logits, valid)
            base = {"question": request.question, "model": model_id, "mode": request.mode,
                    "target": target.phrase, "target_idx": index}
            features += vectorise(store, source.crs_wkt, base, request.simplify, request.min_area, cancelled)
        finally:
            store.close()
    timings["vectorise"] = time.perf_counter() - start
    timings["total"] = time.perf_counter() - started
    report(1.0, "vectorising")
    return SegmentationResult(
        features=features, crs_wkt=source.crs_wkt, transform=grid.transform, shape=(grid.height, grid.width),
        window=window, mode=request.mode, model=model_id, device=segmenter.device, tiles=1,
        tiles_total=1, encoder_calls=counters.encoder_calls, cache_hits=counters.cache_hits, mask=labels,
        probability=None, timings=timings, answer=prediction.answer, targets=[t.phrase for t in prediction.targets])
