"""Tiles in batches (one LLM pass per batch, features kept where the encoder wrote them) give the same answer as
one tile at a time; on the CPU the automatic batch is one."""

from __future__ import annotations

import numpy as np
import pytest

from segearth_engine.errors import InputError
from segearth_engine.geo.rasterio_source import RasterioSource
from segearth_engine.pipeline.raster import SegmentationRequest, auto_batch_size, segment_raster
from segearth_engine.runtime.feature_cache import FeatureCache
from tests.engine.geo.rasters import write_tif

QUESTION = "the bright fields"


@pytest.fixture(scope="module")
def wide_raster(tmp_path_factory):
    """200 x 3000 px: four 1024 px tiles (starts 0, 659, 1317, 1976); the second is all nodata, two partly."""
    rng = np.random.default_rng(5)
    data = rng.integers(1, 255, (3, 200, 3000), dtype=np.uint8)
    data[:, 40:160, 200:700] = 220  # structure, so the tiny model's mask is not uniform noise
    data[:, :, 650:1700] = 0
    return write_tif(tmp_path_factory.mktemp("wide") / "wide.tif", data, nodata=0)


def _run(segmenter, path, batch_size, cache=None):
    with RasterioSource(path) as src:
        return segment_raster(src, segmenter, SegmentationRequest(QUESTION, mode="tiled"), cache=cache,
                              batch_size=batch_size)


def test_batches_give_the_polygons_of_one_tile_at_a_time(tiny_onnx_segmenter, wide_raster):
    single = _run(tiny_onnx_segmenter, wide_raster, 1)
    assert single.tiles == 4 and single.encoder_calls == 3  # the nodata tile is never encoded
    assert 0 < (single.mask == 1).sum() < (single.mask != 255).sum(), "expected a non-trivial answer"
    for batch in (2, 3, 4):  # groups [2, 2], [3, 1], [4]
        batched = _run(tiny_onnx_segmenter, wide_raster, batch)
        assert batched.tiles == 4 and batched.encoder_calls == 3
        assert np.array_equal(batched.mask, single.mask)
        assert np.abs(batched.probability - single.probability).max() < 1e-4
        assert len(batched.features) == len(single.features)
        for (a, attrs_a), (b, attrs_b) in zip(single.features, batched.features, strict=True):
            assert a.equals(b) and attrs_a["pixels"] == attrs_b["pixels"]


def test_batched_run_reuses_the_cache(tiny_onnx_segmenter, wide_raster):
    cache = FeatureCache(max_mb=256)
    first = _run(tiny_onnx_segmenter, wide_raster, 3, cache)
    second = _run(tiny_onnx_segmenter, wide_raster, 3, cache)
    assert first.encoder_calls == 3 and second.encoder_calls == 0 and second.cache_hits == 3
    assert np.array_equal(first.mask, second.mask)


def test_segment_batch_matches_segment(tiny_onnx_segmenter):
    rng = np.random.default_rng(9)
    images = [rng.integers(0, 256, (300 + 40 * i, 420, 3), dtype=np.uint8) for i in range(3)]
    encoded = tiny_onnx_segmenter.encode_batch(images)
    batched = tiny_onnx_segmenter.segment_batch(encoded, QUESTION)
    for enc, image, prediction in zip(encoded, images, batched, strict=True):
        alone = tiny_onnx_segmenter.segment(enc, QUESTION)
        assert prediction.logits.shape == image.shape[:2]
        assert np.abs(prediction.logits - alone.logits).max() < 1e-4
    assert np.abs(batched[0].logits[:300] - batched[1].logits[:300]).max() > 1e-3  # really per image
    assert tiny_onnx_segmenter.segment_batch([], QUESTION) == []


def test_cpu_picks_one_tile_per_batch_and_refuses_zero(tiny_onnx_segmenter, wide_raster):
    assert not tiny_onnx_segmenter.on_cuda
    assert auto_batch_size(tiny_onnx_segmenter, SegmentationRequest(QUESTION, mode="tiled")) == 1
    assert auto_batch_size(tiny_onnx_segmenter, SegmentationRequest(QUESTION)) == 1
    with pytest.raises(InputError, match="batch_size"):
        _run(tiny_onnx_segmenter, wide_raster, 0)
