"""Reading rasters: windows, nodata/alpha masks, band rules, the single global stretch, broken files."""

from __future__ import annotations

import numpy as np
import pytest

from segearth_engine.errors import InputError
from segearth_engine.geo.radiometry import choose_bands, plan_radiometry
from segearth_engine.geo.rasterio_source import RasterioSource
from segearth_engine.geo.source import RasterSource, Window
from tests.conftest import DATA

from .rasters import write_tif


def test_rasterio_source_implements_the_protocol_on_samples():
    with RasterioSource(DATA / "rgbn.tif") as src:
        assert isinstance(src, RasterSource)
        assert (src.width, src.height, src.count, src.dtype) == (515, 403, 4, "uint8")
        assert "32618" in src.crs_wkt or "UTM zone 18N" in src.crs_wkt
        assert choose_bands(src, None) == (1, 2, 3)  # red/green/blue by colour interpretation
    with RasterioSource(DATA / "L7_ETMs.tif") as src:
        assert choose_bands(src, None) == (1, 2, 3)  # no RGB interpretation: first three
        assert choose_bands(src, (4, 3, 2)) == (4, 3, 2)
        with pytest.raises(InputError, match="band.*7.*6 band"):
            choose_bands(src, (7, 3, 2))
        with pytest.raises(InputError, match="1 band.*or 3"):
            choose_bands(src, (4, 3))


def test_window_partly_outside_is_masked_there():
    with RasterioSource(DATA / "rgbn.tif") as src:
        block = src.read([1, 2, 3], Window(-100, -50, 200, 100), (100, 200))
        assert block.shape == (3, 100, 200)
        assert block.mask[:, :50, :].all() and block.mask[:, :, :100].all()
        assert not block.mask[:, 50:, 100:].any()


def test_nodata_and_alpha_are_invalid(tmp_path):
    data = np.full((4, 64, 64), 100, dtype=np.uint8)
    data[3] = 255
    data[3, :, :10] = 0  # transparent columns
    data[0, 40:, :] = 7  # nodata rows
    path = write_tif(tmp_path / "rgba.tif", data, nodata=7,
                     colorinterp=None)
    import rasterio
    from rasterio.enums import ColorInterp

    with rasterio.open(path, "r+") as ds:
        ds.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.alpha]
    with RasterioSource(path) as src:
        radio = plan_radiometry(src, Window(0, 0, 64, 64), None)
        assert radio.bands == (1, 2, 3) and radio.alpha == 4 and radio.stretch is None
        rgb, valid = radio.read_rgb(src, Window(0, 0, 64, 64), (64, 64))
    assert not valid[:, :10].any() and not valid[40:].any() and valid[:40, 10:].all()
    assert (rgb[~valid] == 0).all() and (rgb[valid] == 100).all()


@pytest.mark.parametrize("dtype", ["uint16", "float32"])
def test_one_global_stretch_for_non_byte_data(tmp_path, dtype):
    ramp = np.linspace(0, 4000, 256, dtype=np.float64)
    data = np.broadcast_to(ramp[None, None, :], (3, 128, 256)).astype(dtype)
    with RasterioSource(write_tif(tmp_path / f"{dtype}.tif", data)) as src:
        radio = plan_radiometry(src, Window(0, 0, 256, 128), None)
        assert radio.stretch is not None and len(radio.stretch) == 3
        low, high = radio.stretch[0]
        assert low == pytest.approx(80, rel=0.05) and high == pytest.approx(3920, rel=0.01)  # 2 and 98 %
        left, _ = radio.read_rgb(src, Window(0, 0, 128, 128), (128, 128))
        right, _ = radio.read_rgb(src, Window(128, 0, 128, 128), (128, 128))
    # the same stretch on both halves: the ramp continues across the tile boundary instead of restarting
    assert left[0, -1, 0] <= right[0, 0, 0] <= left[0, -1, 0] + 2
    assert left[0, 0, 0] == 0 and right[0, -1, 0] == 255


@pytest.mark.parametrize("bands,expected", [(1, (1, 1, 1)), (2, (1, 1, 1)), (4, (1, 2, 3)), (6, (1, 2, 3))])
def test_band_count_rules(tmp_path, bands, expected):
    with RasterioSource(write_tif(tmp_path / f"b{bands}.tif", np.full((bands, 40, 40), 9, np.uint8))) as src:
        radio = plan_radiometry(src, Window(0, 0, 40, 40), None)
        assert radio.bands == expected
        rgb, valid = radio.read_rgb(src, Window(0, 0, 40, 40), (40, 40))
        assert rgb.shape == (40, 40, 3) and valid.all()


def test_all_nodata_extent_is_refused(tmp_path):
    with RasterioSource(write_tif(tmp_path / "nodata.tif", np.zeros((3, 64, 64), np.uint8), nodata=0)) as src:
        with pytest.raises(InputError, match="no valid pixels"):
            plan_radiometry(src, Window(0, 0, 64, 64), None)


def test_empty_truncated_and_missing_files(tmp_path):
    empty = tmp_path / "empty.tif"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="0 bytes"):
        RasterioSource(empty)
    with pytest.raises(InputError, match="no such file"):
        RasterioSource(tmp_path / "missing.tif")
    full = write_tif(tmp_path / "full.tif", np.random.default_rng(0).integers(0, 255, (3, 300, 300), np.uint8))
    truncated = tmp_path / "truncated.tif"
    truncated.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(InputError, match="truncated"):
        src = RasterioSource(truncated)
        src.read([1, 2, 3], Window(0, 0, 300, 300), (300, 300))
    garbage = tmp_path / "garbage.tif"
    garbage.write_bytes(b"not a tiff at all" * 10)
    with pytest.raises(InputError, match="cannot be read as a raster"):
        RasterioSource(garbage)
