"""segment_raster's geometry, radiometry, cache, cancel and refusals, with a transparent brightness rule standing in
for the model's image -> logits step (tests/engine/geo/rasters.py); the real tiny model runs in test_pipeline_tiny."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from affine import Affine

from segearth_engine.errors import Cancelled, InputError
from segearth_engine.geo.affine_math import apply, compose
from segearth_engine.geo.rasterio_source import RasterioSource
from segearth_engine.pipeline.raster import SegmentationRequest, segment_raster
from segearth_engine.runtime.feature_cache import FeatureCache
from tests.conftest import DATA
from tests.engine.geo.rasters import BrightnessSegmenter, square_scene, write_tif

# 256 px scene, 10 m pixels from (500000, 4000000); bright box rows 64:96, cols 64:128
X0, Y0 = 500000.0, 4000000.0


def _run(path, seg=None, **kw):
    seg = seg or BrightnessSegmenter()
    with RasterioSource(path) as src:
        return segment_raster(src, seg, SegmentationRequest(kw.pop("question", "bright?"), **kw), **kw.pop("x", {}))


@pytest.fixture()
def scene(tmp_path):
    return write_tif(tmp_path / "scene.tif", square_scene())


def test_view_mode_puts_the_answer_where_it_is_on_the_map(scene):
    stages = []
    seg = BrightnessSegmenter()
    with RasterioSource(scene) as src:
        result = segment_raster(src, seg, SegmentationRequest("bright?"), progress=lambda f, s: stages.append(s))
    (polygon, attrs), = result.features
    # upsampled x4 (2.5 m pixels): edges within one output pixel, area within its corner pixels
    assert polygon.bounds == pytest.approx((X0 + 640, Y0 - 960, X0 + 1280, Y0 - 640), abs=2.5)
    assert attrs["area_m2"] == pytest.approx(32 * 64 * 100, rel=1e-3)
    assert attrs["mode"] == "view" and attrs["model"] == "brightness-rule" and attrs["question"] == "bright?"
    assert 0.99 < attrs["mean_prob"] < 1 / (1 + np.exp(-(230 - 128) / 8))  # interior p, lowered by the resampled rim
    assert seg.seen_shapes == [(1024, 1024)]  # the extent resampled so its long side is the model's canvas
    assert result.shape == (1024, 1024) and "UTM zone 33N" in result.crs_wkt
    assert set(stages) <= {"reading", "encoding", "reasoning", "decoding", "vectorising"}
    assert {"reading", "encoding", "vectorising"} <= set(stages)


def test_extent_in_another_crs_and_refusals(scene):
    from pyproj import Transformer

    to_ll = Transformer.from_crs("EPSG:32633", "EPSG:4326", always_xy=True)
    lon0, lat0 = to_ll.transform(X0 + 300, Y0 - 1500)
    lon1, lat1 = to_ll.transform(X0 + 1800, Y0 - 300)
    result = _run(scene, extent=(lon0, lat0, lon1, lat1), extent_crs="EPSG:4326")
    assert 140 <= result.window.width <= 155 and 115 <= result.window.height <= 125
    (polygon, _), = result.features
    assert polygon.bounds == pytest.approx((X0 + 640, Y0 - 960, X0 + 1280, Y0 - 640), abs=20)
    with pytest.raises(InputError, match="does not overlap"):
        _run(scene, extent=(0, 0, 10, 10))
    with pytest.raises(InputError, match="only 20x20 pixels"):
        _run(scene, extent=(X0, Y0 - 200, X0 + 200, Y0))
    with pytest.raises(InputError, match="question is empty"):
        _run(scene, question="   ")


def test_tiled_mode_object_across_tiles_is_one_polygon(tmp_path):
    data = np.full((3, 300, 700), 20, np.uint8)
    data[:, 120:180, 50:650] = 230  # crosses every tile boundary
    path = write_tif(tmp_path / "wide.tif", data)
    seg = BrightnessSegmenter()
    seg.image_size = 256  # small tiles keep the test fast; the layout logic is the same as at 1024
    result = _run(path, seg, mode="tiled", overlap=64)
    assert result.tiles == result.tiles_total == 2 * 4
    (polygon, attrs), = result.features
    assert polygon.bounds == pytest.approx((X0 + 500, Y0 - 1800, X0 + 6500, Y0 - 1200))
    assert attrs["area_m2"] == pytest.approx(60 * 600 * 100) and attrs["mode"] == "tiled"


def test_tiled_resolution_changes_the_grid(scene):
    result = _run(scene, mode="tiled", resolution=20.0)
    assert result.shape == (128, 128)
    (polygon, _), = result.features
    assert polygon.bounds == pytest.approx((X0 + 640, Y0 - 960, X0 + 1280, Y0 - 640))
    with pytest.raises(InputError, match="at least 32"):
        _run(scene, mode="tiled", resolution=100.0)


def test_rotated_geotransform_is_carried_through(tmp_path):
    angle = Affine.rotation(30)
    transform = compose(Affine.translation(X0, Y0), angle, Affine.scale(10, -10))
    path = write_tif(tmp_path / "rotated.tif", square_scene(), transform=transform)
    (polygon, attrs), = _run(path).features
    expected = [apply(transform, c, r) for c, r in ((64, 64), (128, 64), (128, 96), (64, 96))]
    for x, y in expected:
        assert min(np.hypot(px - x, py - y) for px, py in polygon.exterior.coords) < 2.5
    assert attrs["area_m2"] == pytest.approx(32 * 64 * 100, rel=1e-3)
    with pytest.raises(InputError, match="only 20x20"):  # the sample rotated raster is too small to segment
        _run(DATA / "geomatrix.tif")


def test_geographic_raster_areas_in_square_metres_and_nodata():
    result = _run(DATA / "rmnp-rgb.tif", mode="tiled")
    assert result.features
    with RasterioSource(DATA / "rmnp-rgb.tif") as src:
        nodata = (src._ds.read() == 255).all(axis=0)
    assert (result.mask[nodata] == 255).all()  # nodata is never part of an answer
    polygon, attrs = max(result.features, key=lambda f: f[1]["area_m2"])
    # a 0.0015 deg pixel near 40.6 N is about 126.6 m (E-W) x 166.6 m (N-S)
    assert attrs["area_m2"] / attrs["pixels"] == pytest.approx(126.6 * 166.6, rel=0.02)


@pytest.mark.parametrize("dtype,scale", [("uint16", 40), ("float32", 0.01)])
def test_uint16_and_float32_rasters(tmp_path, dtype, scale):
    path = write_tif(tmp_path / f"{dtype}.tif", (square_scene(bands=3).astype(np.float64) * scale).astype(dtype))
    (polygon, _), = _run(path).features
    assert polygon.bounds == pytest.approx((X0 + 640, Y0 - 960, X0 + 1280, Y0 - 640), abs=2.5)


@pytest.mark.parametrize("bands", [1, 2, 4, 6])
def test_band_counts(tmp_path, bands):
    path = write_tif(tmp_path / f"b{bands}.tif", square_scene(bands=bands))
    assert len(_run(path).features) == 1


def test_no_georeference_is_refused(tmp_path):
    path = write_tif(tmp_path / "plain.tif", square_scene(), crs=None, transform=Affine.identity())
    with pytest.raises(InputError, match="no georeference"):
        _run(path)


def test_all_nodata_extent_is_refused(tmp_path):
    path = write_tif(tmp_path / "void.tif", np.zeros((3, 64, 64), np.uint8), nodata=0)
    with pytest.raises(InputError, match="no valid pixels"):
        _run(path)


def test_second_question_skips_the_encoder_and_cancel_stops(scene):
    seg, cache = BrightnessSegmenter(), FeatureCache(max_mb=64)
    with RasterioSource(scene) as src:
        first = segment_raster(src, seg, SegmentationRequest("one"), cache=cache)
        second = segment_raster(src, seg, SegmentationRequest("two"), cache=cache)
        assert (first.encoder_calls, second.encoder_calls, second.cache_hits, seg.encoder_calls) == (1, 0, 1, 1)
        segment_raster(src, seg, SegmentationRequest("three", bands=(2, 2, 2)), cache=cache)
        assert seg.encoder_calls == 2  # other bands: another image, encoded again
        with pytest.raises(Cancelled):
            segment_raster(src, seg, SegmentationRequest("four"), cache=cache, is_cancelled=lambda: True)


def test_huge_sparse_raster_stays_memory_bounded(tmp_path):
    """20000 x 20000 px tiled GeoTIFF written sparsely (one block of data): windowed reads, on-disk store."""
    import rasterio

    path = tmp_path / "huge.tif"
    profile = {"driver": "GTiff", "width": 20000, "height": 20000, "count": 3, "dtype": "uint8", "crs": "EPSG:32633",
               "transform": Affine(1, 0, X0, 0, -1, Y0), "tiled": True, "blockxsize": 512, "blockysize": 512,
               "sparse_ok": True, "nodata": 0}
    with rasterio.open(path, "w", **profile) as ds:
        block = np.full((3, 512, 512), 20, np.uint8)
        block[:, 100:200, 100:300] = 230
        ds.write(block, window=rasterio.windows.Window(0, 0, 512, 512))
    assert path.stat().st_size < 5_000_000
    seg = BrightnessSegmenter()
    seg.image_size = 256
    tracemalloc.start()
    try:
        with RasterioSource(path) as src:
            result = segment_raster(src, seg, SegmentationRequest("bright?", mode="tiled", overlap=32, max_tiles=4))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.mask is None and result.shape == (20000, 20000)  # the grid went to disk
    assert result.tiles == 4 and result.tiles_total > 6000
    (polygon, attrs), = result.features
    assert polygon.bounds == pytest.approx((X0 + 100, Y0 - 200, X0 + 300, Y0 - 100))
    assert peak < 200 * 2**20, f"peak numpy/Python allocations {peak / 2**20:.0f} MiB"  # the raster is 1.2 GB
