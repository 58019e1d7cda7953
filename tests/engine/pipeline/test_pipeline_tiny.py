"""The pipeline with the real (tiny, random-weight) model: ONNX Runtime encoder/decoder, transformers LLM."""

from __future__ import annotations

import numpy as np

from segearth_engine.geo.rasterio_source import RasterioSource
from segearth_engine.pipeline.raster import SegmentationRequest, segment_raster
from segearth_engine.runtime.feature_cache import FeatureCache
from tests.conftest import DATA


def test_view_then_second_question_hits_the_cache(tiny_onnx_segmenter):
    seg, cache = tiny_onnx_segmenter, FeatureCache(max_mb=256)
    with RasterioSource(DATA / "rgbn.tif") as src:
        calls = seg.encoder_calls
        first = segment_raster(src, seg, SegmentationRequest("where could a small plane land?"), cache=cache)
        second = segment_raster(src, seg, SegmentationRequest("the river", task="referring"), cache=cache)
    assert seg.encoder_calls == calls + 1 and second.cache_hits == 1
    assert first.shape == (801, 1024) and first.mask is not None
    assert first.device == seg.device and first.model == seg.model_id
    for result in (first, second):
        for polygon, attrs in result.features:
            assert polygon.is_valid and 0.5 <= attrs["mean_prob"] <= 1.0 and attrs["area_m2"] > 0
        total = sum(a["pixels"] for _, a in result.features)
        assert total == int((result.mask == 1).sum())  # every answer pixel is in exactly one polygon


def test_tiled_mode_on_a_raster_wider_than_a_tile(tiny_onnx_segmenter, tmp_path):
    from tests.engine.geo.rasters import write_tif

    rng = np.random.default_rng(1)
    path = write_tif(tmp_path / "wide.tif", rng.integers(0, 255, (3, 200, 1300), dtype=np.uint8))
    with RasterioSource(path) as src:
        result = segment_raster(src, tiny_onnx_segmenter, SegmentationRequest("fields", mode="tiled"))
    assert result.tiles == 2 and result.shape == (200, 1300)
    assert result.mask.shape == (200, 1300) and set(np.unique(result.mask)) <= {0, 1}
