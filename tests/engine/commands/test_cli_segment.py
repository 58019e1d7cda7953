"""`segearth segment` end to end with the tiny model, and its refusals (nothing written, clear messages)."""

from __future__ import annotations

import numpy as np
import pytest

from segearth_engine.cli import main
from tests.conftest import DATA


def test_segment_to_geopackage_then_refuse_overwrite(tiny_model_dir, tmp_path, capsys):
    import fiona

    out = tmp_path / "demo.gpkg"
    args = ["segment", str(DATA / "rgbn.tif"), "--question", "Where could a small plane land?", "--model",
            str(tiny_model_dir), "--mode", "view", "--out", str(out), "--quiet"]
    assert main(args) == 0
    summary = capsys.readouterr().out
    assert "polygons" in summary and "device CPU" in summary
    with fiona.open(out) as src:
        assert "UTM zone 18N" in src.crs_wkt
        names = list(src.schema["properties"])
        assert names[:5] == ["question", "model", "mode", "area_m2", "mean_prob"]
        count = len(src)
    assert f"{count} polygons" in summary
    before = out.read_bytes()
    assert main(args) == 2
    assert "exists" in capsys.readouterr().err and out.read_bytes() == before
    assert main([*args, "--overwrite", "--mode", "tiled", "--min-area", "1000000000"]) == 0
    with fiona.open(out) as src:
        assert len(src) == 0  # nothing is larger than 1000 km²


def test_segment_mask_geotiff_with_extent_and_bands(tiny_model_dir, tmp_path):
    import rasterio

    out = tmp_path / "mask.tif"
    assert main(["segment", str(DATA / "L7_ETMs.tif"), "--question", "the river", "--model", str(tiny_model_dir),
                 "--bands", "4,3,2", "--extent", "290000,9112000,296000,9118000", "--out", str(out),
                 "--quiet"]) == 0
    with rasterio.open(out) as ds:
        assert ds.crs.to_epsg() == 31985 and max(ds.width, ds.height) == 1024
        assert set(np.unique(ds.read(1))) <= {0, 1, 255}
        left, bottom, right, top = ds.bounds
    assert left == pytest.approx(290000 - 11.25, abs=30) and top == pytest.approx(9118000, abs=30)


@pytest.mark.parametrize("extra,message", [
    (["--question", ""], "question is empty"),
    (["--question", "q", "--extent", "1,2,3"], "minx,miny,maxx,maxy"),
    (["--question", "q", "--out", "/proc/x.gpkg"], "not writable"),
])
def test_segment_refusals(tiny_model_dir, tmp_path, capsys, extra, message):
    args = ["segment", str(DATA / "rgbn.tif"), "--model", str(tiny_model_dir), "--out", str(tmp_path / "a.gpkg"),
            "--quiet", *extra]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_segment_creates_a_missing_folder_but_not_under_a_file(tiny_model_dir, tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    args = ["segment", str(DATA / "rgbn.tif"), "--question", "q", "--model", str(tiny_model_dir), "--quiet"]
    assert main([*args, "--out", str(blocker / "a.gpkg")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main([*args, "--out", str(tmp_path / "new" / "deeper" / "a.gpkg")]) == 0
    assert (tmp_path / "new" / "deeper" / "a.gpkg").is_file()


def test_segment_unreadable_raster(tiny_model_dir, tmp_path, capsys):
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"")
    assert main(["segment", str(broken), "--question", "q", "--model", str(tiny_model_dir), "--out",
                 str(tmp_path / "a.gpkg"), "--quiet"]) == 2
    assert "0 bytes" in capsys.readouterr().err


def test_segment_runtime_options_reach_the_model(tiny_model_dir, tmp_path, capsys):
    out = tmp_path / "low.geojson"
    assert main(["segment", str(DATA / "rgbn.tif"), "--question", "the fields", "--model", str(tiny_model_dir),
                 "--out", str(out), "--quiet", "--llm-precision", "fp32", "--low-memory"]) == 0
    summary = capsys.readouterr().out
    assert "LLM fp32" in summary and "low memory" in summary and out.is_file()
    assert main(["segment", str(DATA / "rgbn.tif"), "--question", "the fields", "--model", str(tiny_model_dir),
                 "--out", str(tmp_path / "x.gpkg"), "--backend", "torch", "--low-memory"]) == 2
    assert "low_memory needs the onnx backend" in capsys.readouterr().err
    assert not (tmp_path / "x.gpkg").exists()
