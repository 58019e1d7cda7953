"""SegEarth-R2's view run caches its encoding like R1's (pipeline/targets.py through tile_step), so encode_view
warms it the same way: the question then skips the encoder with the same answer; tiled mode is refused as a run."""

from __future__ import annotations

import numpy as np
import pytest

from segearth_engine.api import SegmentationRequest, encode_view, segment_raster
from segearth_engine.errors import InputError
from segearth_engine.geo.rasterio_source import RasterioSource
from segearth_engine.runtime.feature_cache import FeatureCache
from tests.conftest import DATA

QUESTION = "the runway and the taxiways"


def test_warmed_r2_view_skips_the_encoder_with_the_same_answer(r2_onnx):
    with RasterioSource(DATA / "rgbn.tif") as src:
        cold = segment_raster(src, r2_onnx, SegmentationRequest(QUESTION), cache=FeatureCache(max_mb=256))
        cache, calls = FeatureCache(max_mb=256), r2_onnx.encoder_calls
        assert encode_view(src, r2_onnx, SegmentationRequest(""), cache=cache) == 1
        assert r2_onnx.encoder_calls == calls + 1
        hot = segment_raster(src, r2_onnx, SegmentationRequest(QUESTION), cache=cache)
        with pytest.raises(InputError, match="view mode"):
            encode_view(src, r2_onnx, SegmentationRequest("", mode="tiled"), cache=cache)
    assert (hot.encoder_calls, hot.cache_hits, r2_onnx.encoder_calls) == (0, 1, calls + 1)
    assert hot.answer == cold.answer and hot.targets == cold.targets
    assert np.array_equal(hot.mask, cold.mask)
