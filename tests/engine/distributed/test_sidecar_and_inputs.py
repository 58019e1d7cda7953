"""Refusals and the sidecar's rules, checked before any cluster work (no client needed)."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from segearth_engine.distributed.runner import run_on_cluster
from segearth_engine.distributed.sidecar import RunFolder
from segearth_engine.errors import InputError, OutputExistsError
from segearth_engine.geo.rasterio_source import RasterioSource
from segearth_engine.pipeline.raster import SegmentationRequest

from .scenes import write_scene

TILED = SegmentationRequest("fields", mode="tiled")


@pytest.fixture
def scene(tmp_path):
    return write_scene(tmp_path / "scene.tif")


def test_view_mode_and_mask_outputs_are_refused(scene, tiny_model_dir, tmp_path):
    with pytest.raises(InputError, match="--mode tiled"):
        run_on_cluster(None, scene, tiny_model_dir, SegmentationRequest("fields"), tmp_path / "a.gpkg")
    with pytest.raises(InputError, match="polygons"):
        run_on_cluster(None, scene, tiny_model_dir, TILED, tmp_path / "a.tif")
    with pytest.raises(InputError, match="tiles-per-task"):
        run_on_cluster(None, scene, tiny_model_dir, TILED, tmp_path / "a.gpkg", tiles_per_task=0)


def test_an_unfinished_run_is_neither_overwritten_nor_resumed_with_other_inputs(scene, tiny_model_dir, tmp_path):
    out = tmp_path / "answer.gpkg"
    folder = RunFolder(out)
    folder.start("other-plan", {"tiles_total": 6}, resume=False, overwrite=False)
    folder.record("done", 0, 0)
    with pytest.raises(OutputExistsError, match="--resume"):
        run_on_cluster(None, scene, tiny_model_dir, TILED, out)
    with pytest.raises(InputError, match="other inputs"):
        run_on_cluster(None, scene, tiny_model_dir, TILED, out, resume=True)
    assert folder.read_log() == [{"event": "done", "row": 0, "col": 0}]  # nothing lost


def test_tile_results_round_trip_through_the_sidecar(tmp_path):
    folder = RunFolder(tmp_path / "x.gpkg")
    folder.start("plan", {}, resume=False, overwrite=False)
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(37, 53)).astype(np.float32)
    valid = rng.random((37, 53)) > 0.3
    folder.save_tile(1, 2, logits, valid)
    folder.save_tile(0, 0, None, None)
    got_logits, got_valid = folder.load_tile(1, 2)
    np.testing.assert_array_equal(got_logits, logits)
    np.testing.assert_array_equal(got_valid, valid)
    assert folder.load_tile(0, 0) == (None, None)
    folder.drop_tile(1, 2)
    assert not folder.has_tile(1, 2) and folder.has_tile(0, 0)
    folder.remove()
    assert not folder.exists()


def test_gdal_virtual_paths_are_opened_as_they_are(scene, tmp_path):
    archive = tmp_path / "scene.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(scene, "inner/scene.tif")
    with RasterioSource(f"/vsizip/{archive}/inner/scene.tif") as zipped, RasterioSource(scene) as plain:
        assert (zipped.width, zipped.height, zipped.crs_wkt) == (plain.width, plain.height, plain.crs_wkt)
        assert zipped.transform == plain.transform
        from segearth_engine.geo.source import Window

        window = Window(100, 50, 64, 32)
        np.testing.assert_array_equal(zipped.read([1, 2, 3], window, (32, 64)), plain.read([1, 2, 3], window, (32, 64)))
    with pytest.raises(InputError):
        RasterioSource(f"/vsizip/{archive}/missing.tif")


def test_the_cli_refuses_resume_without_a_cluster(scene, tiny_model_dir, tmp_path, capsys):
    from segearth_engine.cli import main

    code = main(["segment", str(scene), "--question", "q", "--model", str(tiny_model_dir), "--mode", "tiled",
                 "--out", str(tmp_path / "a.gpkg"), "--resume"])
    assert code == 2 and "--resume" in capsys.readouterr().err
