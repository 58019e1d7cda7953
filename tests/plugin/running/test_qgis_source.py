"""The QGIS-provider RasterSource reads the same pixels, georeferencing and nodata as rasterio."""

from __future__ import annotations

import numpy as np
import pytest
from qgis.core import QgsRasterLayer

from segearth_engine.geo.source import RasterSource, Window
from segearth_qgis.running.qgis_source import QgisRasterSource

rasterio = pytest.importorskip("rasterio")


@pytest.mark.parametrize("name", ["rgbn.tif", "rmnp-rgb.tif", "L7_ETMs.tif"])
def test_matches_rasterio(data_dir, name):
    path = data_dir / name
    source = QgisRasterSource(QgsRasterLayer(str(path), "x"))
    assert isinstance(source, RasterSource)
    with rasterio.open(path) as ds:
        assert (source.width, source.height, source.count, source.dtype) == (ds.width, ds.height, ds.count,
                                                                             ds.dtypes[0])
        assert source.transform.almost_equals(ds.transform)
        assert list(source.nodata) == [ds.nodata] * ds.count
        assert list(source.colorinterp) == [c.name for c in ds.colorinterp]
        window = Window(13, 21, 120, 64)
        got = source.read([1, 2, 3], window, (64, 120))
        want = ds.read([1, 2, 3], window=((21, 85), (13, 133)))
        assert np.array_equal(got.data, want)
        if ds.nodata is not None:
            assert np.array_equal(got.mask, want == ds.nodata)


def test_outside_pixels_and_nodata_are_masked(synthetic_tif):
    source = QgisRasterSource(QgsRasterLayer(str(synthetic_tif), "s"))
    assert source.nodata == [0.0, 0.0, 0.0]
    block = source.read([1], Window(-10, -10, 40, 40), (40, 40))
    assert block.mask[0, :10, :].all() and block.mask[0, :, :10].all()  # outside the raster
    assert block.mask[0, 10:30, 10:30].all()  # the nodata=0 corner
    assert not block.mask[0, 35:, 35:].any()
    small = source.read([1, 2], Window(0, 0, 300, 200), (100, 150))  # resampled read
    assert small.shape == (2, 100, 150)
    assert small.data[0, 50, 75] == 220  # the bright square survives resampling
