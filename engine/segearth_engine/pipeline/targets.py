"""A SegEarth-R2 question on a raster: one generated answer, one layer of polygons per [SEG] target.

View mode only: the model sees the whole extent once (long side = its canvas) and answers once. Tiled mode would
ask the LLM per tile, and tiles can answer with different numbers of targets and different phrases, so there is no
sound way to stitch them yet; it is refused with a clear message.

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
from segearth_engine.geo.store import MASK_NODATA, make_store
from segearth_engine.geo.vectorize import vectorise


def segment_raster_targets(source, segmenter, request, progress: Callable[[float, str], None] | None = None,
                           is_cancelled: Callable[[], bool] | None = None, cache=None,
                           mask_path: str | Path | None = None, overwrite: bool = False):
    from segearth_engine.pipeline.raster import SegmentationResult, _cache_key, plan_layout, require_georeference

    started = time.perf_counter()
    canvas = int(getattr(segmenter, "image_size", 1024))
    request = request.checked(canvas)
    if request.mode != "view":
        raise InputError("SegEarth-R2 models answer one question per view: use view mode (tiled mode cannot stitch "
                         "answers whose targets differ from tile to tile)")
    if mask_path is not None:
        raise InputError("writing a mask GeoTIFF is not available for multi-target answers yet; write polygons")
    require_georeference(source)
    report = progress or (lambda fraction, stage="": None)
    cancelled = is_cancelled or (lambda: False)

    def check() -> None:
        if cancelled():
            raise Cancelled()

    timings = {"read": 0.0, "encoder": 0.0, "llm": 0.0, "decoder": 0.0, "vectorise": 0.0}
    report(0.0, "reading")
    window, grid, radiometry, layout = plan_layout(source, request, canvas)
    tile = next(iter(layout))
    start = time.perf_counter()
    source_window = grid.source_window(tile.col0, tile.row0, tile.width, tile.height)
    rgb, valid = radiometry.read_rgb(source, source_window, (tile.height, tile.width))
    timings["read"] = time.perf_counter() - start
    if not valid.any():
        raise InputError("the extent holds no valid pixels (all nodata or transparent)")
    check()
    key = _cache_key(source, source_window, (tile.height, tile.width), radiometry, segmenter)
    encoded = cache.get(key) if cache is not None else None
    encoder_calls = cache_hits = 0
    if encoded is None:
        report(0.1, "encoding")
        start = time.perf_counter()
        encoded = segmenter.encode(rgb)
        timings["encoder"] = time.perf_counter() - start
        encoder_calls = 1
        if cache is not None:
            cache.put(key, encoded, getattr(encoded, "nbytes", None))
    else:
        cache_hits = 1
    check()
    report(0.4, "reasoning")
    prediction = segmenter.segment(encoded, request.question, request.task)
    timings["llm"] = prediction.timings.get("llm", 0.0)
    timings["decoder"] = prediction.timings.get("decoder", 0.0)
    check()
    report(0.9, "vectorising")
    start = time.perf_counter()
    labels = np.where(valid, 0, MASK_NODATA).astype(np.uint8)
    features = []
    model_id = getattr(segmenter, "model_id", "")
    for index, target in enumerate(prediction.targets):
        logits = np.where(valid, np.asarray(target.logits, dtype=np.float32), -30.0).astype(np.float32)
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
        window=window, mode=request.mode, model=model_id, device=getattr(segmenter, "device", ""), tiles=1,
        tiles_total=1, encoder_calls=encoder_calls, cache_hits=cache_hits, mask=labels, probability=None,
        timings=timings, answer=prediction.answer, targets=[t.phrase for t in prediction.targets])
