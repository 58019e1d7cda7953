"""encode_view (the view warmed while the question is typed) with the real tiny model: it makes exactly the cache
entries the question's run looks up, honours the run's checks, limits and cancel, and a question asked while the
warm-up still encodes waits for it (real threads) instead of encoding the same tile a second time."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from segearth_engine import api
from segearth_engine.errors import Cancelled, InputError, LimitError
from segearth_engine.geo.rasterio_source import RasterioSource
from segearth_engine.pipeline.raster import SegmentationRequest, segment_raster
from segearth_engine.runtime.feature_cache import FeatureCache
from tests.conftest import DATA
from tests.engine.threads import in_thread

QUESTION = "where could a small plane land?"


class GatedEncoder:
    """The real tiny segmenter whose encoder waits for `gate` (so a test can ask while an encoding is in flight);
    `fail` makes the encoder raise instead, as a failing warm-up would."""

    def __init__(self, segmenter) -> None:
        self._segmenter = segmenter
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.fail = False

    def __getattr__(self, name):
        return getattr(self._segmenter, name)

    def encode_batch(self, images, is_cancelled=None):
        self.entered.set()
        assert self.gate.wait(60)
        if self.fail:
            raise RuntimeError("encoder failed")
        return self._segmenter.encode_batch(images, is_cancelled)


def test_warmed_view_is_answered_without_the_encoder_and_bit_identical_to_a_cold_run(tiny_onnx_segmenter):
    seg = tiny_onnx_segmenter
    with RasterioSource(DATA / "rgbn.tif") as src:
        cold = segment_raster(src, seg, SegmentationRequest(QUESTION), cache=FeatureCache(max_mb=256))
        cache, calls = FeatureCache(max_mb=256), seg.encoder_calls
        stages: list[str] = []
        warmed = api.encode_view(src, seg, SegmentationRequest(""), lambda f, s: stages.append(s), cache=cache)
        assert warmed == 1 and seg.encoder_calls == calls + 1 and len(cache) == 1
        (encoded,) = cache._items.values()  # the LLM's share of the question was prepared too (prepare_question)
        assert [key[0] for key in encoded.llm_prefix] == [SegmentationRequest("").task]
        assert stages[0] == "reading" and "encoding" in stages and "reasoning" not in stages
        assert api.encode_view(src, seg, SegmentationRequest(""), cache=cache) == 0  # cached: nothing to do
        hot = api.segment_raster(src, seg, SegmentationRequest(QUESTION), cache=cache)
    assert (hot.encoder_calls, hot.cache_hits, seg.encoder_calls) == (0, 1, calls + 1)
    assert np.array_equal(hot.mask, cold.mask) and np.array_equal(hot.probability, cold.probability)
    assert [attrs for _, attrs in hot.features] == [attrs for _, attrs in cold.features]


def test_tiled_warm_up_encodes_every_tile_the_question_reads(tiny_onnx_segmenter, tmp_path):
    from tests.engine.geo.rasters import write_tif

    rng = np.random.default_rng(1)
    path = write_tif(tmp_path / "wide.tif", rng.integers(0, 255, (3, 200, 1300), dtype=np.uint8))
    request = SegmentationRequest("fields", mode="tiled", overlap=64)
    cache = FeatureCache(max_mb=256)
    with RasterioSource(path) as src:
        assert api.encode_view(src, tiny_onnx_segmenter, request, cache=cache) == 2
        result = segment_raster(src, tiny_onnx_segmenter, request, cache=cache)
        assert (result.encoder_calls, result.cache_hits) == (0, 2)
        other = SegmentationRequest("fields", mode="tiled", overlap=64, bands=(3, 2, 1))  # other pixels: not cached
        assert segment_raster(src, tiny_onnx_segmenter, other, cache=cache).encoder_calls == 2


def test_warm_up_keeps_the_checks_limits_and_cancel_of_a_run(tiny_onnx_segmenter, tmp_path, monkeypatch):
    from affine import Affine

    from tests.engine.geo.rasters import square_scene, write_tif

    seg, cache = tiny_onnx_segmenter, FeatureCache(max_mb=256)
    calls = seg.encoder_calls
    with RasterioSource(DATA / "rgbn.tif") as src:
        with pytest.raises(Cancelled):
            api.encode_view(src, seg, SegmentationRequest(""), is_cancelled=lambda: True, cache=cache)
        with pytest.raises(InputError, match="overlap"):
            api.encode_view(src, seg, SegmentationRequest("", mode="tiled", overlap=4000), cache=cache)
        monkeypatch.setenv("SEGEARTH_MAX_GRID_GPX", "0.0001")
        with pytest.raises(LimitError):
            api.encode_view(src, seg, SegmentationRequest("", mode="tiled"), cache=cache)
        monkeypatch.delenv("SEGEARTH_MAX_GRID_GPX")
        with pytest.raises(InputError, match="FeatureCache"):
            api.encode_view(src, seg, SegmentationRequest(""), cache=None)
        with pytest.raises(InputError, match="question is empty"):  # only the warm-up may go without one
            segment_raster(src, seg, SegmentationRequest(""), cache=cache)
    plain = write_tif(tmp_path / "plain.tif", square_scene(), crs=None, transform=Affine.identity())
    with RasterioSource(plain) as src, pytest.raises(InputError, match="no georeference"):
        api.encode_view(src, seg, SegmentationRequest(""), cache=cache)
    assert seg.encoder_calls == calls and len(cache) == 0


def test_no_warm_up_beyond_what_the_cache_keeps(tiny_onnx_segmenter):
    """Features larger than the cache would be evicted before the question comes: nothing is encoded."""
    seg = tiny_onnx_segmenter
    small = FeatureCache(max_mb=seg.feature_nbytes() / 2**20 / 2)
    calls = seg.encoder_calls
    with RasterioSource(DATA / "rgbn.tif") as src:
        assert api.encode_view(src, seg, SegmentationRequest(""), cache=small) == 0
    assert seg.encoder_calls == calls and len(small) == 0


def test_question_asked_during_the_warm_up_waits_for_it_instead_of_encoding_again(tiny_onnx_segmenter):
    gated, cache = GatedEncoder(tiny_onnx_segmenter), FeatureCache(max_mb=256)
    with RasterioSource(DATA / "rgbn.tif") as warm_src, RasterioSource(DATA / "rgbn.tif") as ask_src:
        warm, warm_box = in_thread(lambda: api.encode_view(warm_src, gated, SegmentationRequest(""), cache=cache))
        assert gated.entered.wait(30)  # the warm-up holds the claim and is inside the encoder
        stages: list[str] = []
        ask, ask_box = in_thread(lambda: segment_raster(ask_src, gated, SegmentationRequest(QUESTION),
                                                         lambda f, s: stages.append(s), cache=cache))
        time.sleep(0.5)
        assert ask.is_alive() and "encoding" in stages and "reasoning" not in stages  # waiting, not encoding
        gated.gate.set()
        warm.join(60)
        ask.join(60)
    assert warm_box == {"value": 1}, warm_box
    result = ask_box["value"]
    assert (result.encoder_calls, result.cache_hits) == (0, 1)


def test_question_waiting_for_a_warm_up_can_still_be_cancelled(tiny_onnx_segmenter):
    gated, cache = GatedEncoder(tiny_onnx_segmenter), FeatureCache(max_mb=256)
    cancel = threading.Event()
    with RasterioSource(DATA / "rgbn.tif") as warm_src, RasterioSource(DATA / "rgbn.tif") as ask_src:
        warm, warm_box = in_thread(lambda: api.encode_view(warm_src, gated, SegmentationRequest(""), cache=cache))
        assert gated.entered.wait(30)
        ask, ask_box = in_thread(lambda: segment_raster(ask_src, gated, SegmentationRequest(QUESTION),
                                                         is_cancelled=cancel.is_set, cache=cache))
        time.sleep(0.3)
        cancel.set()
        ask.join(5)
        assert not ask.is_alive() and isinstance(ask_box.get("error"), Cancelled)
        assert warm.is_alive()  # the warm-up goes on: another question may use it
        gated.gate.set()
        warm.join(60)
    assert warm_box == {"value": 1} and len(cache) == 1


def test_question_encodes_itself_when_the_warm_up_it_waited_for_fails(tiny_onnx_segmenter):
    gated, cache = GatedEncoder(tiny_onnx_segmenter), FeatureCache(max_mb=256)
    gated.fail = True
    with RasterioSource(DATA / "rgbn.tif") as warm_src, RasterioSource(DATA / "rgbn.tif") as ask_src:
        warm, warm_box = in_thread(lambda: api.encode_view(warm_src, gated, SegmentationRequest(""), cache=cache))
        assert gated.entered.wait(30)
        ask, ask_box = in_thread(lambda: segment_raster(ask_src, tiny_onnx_segmenter, SegmentationRequest(QUESTION),
                                                         cache=cache))
        time.sleep(0.3)
        assert ask.is_alive()
        gated.gate.set()
        warm.join(60)
        ask.join(60)
    assert isinstance(warm_box.get("error"), RuntimeError)
    result = ask_box["value"]
    assert (result.encoder_calls, result.cache_hits) == (1, 0) and len(cache) == 1
