"""Publishing outputs under faults: a full disk, a rival run, a kill between the parts of a Shapefile, stale stages."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import fiona
import numpy as np
import pytest
import rasterio
from affine import Affine
from shapely.geometry import box

from segearth_engine.errors import InputError, OutputError, OutputExistsError
from segearth_engine.geo.publish import FAULT_ENV, STAGE_SUFFIX, clean_stale_stages
from segearth_engine.geo.store import DiskStore
from segearth_engine.geo.writers import output_files, staged, write_mask_geotiff, write_vector

UTM = "EPSG:32633"
BASE = {"question": "q", "model": "m", "mode": "view", "area_m2": 0.0, "mean_prob": 0.0, "pixels": 0}
ENGINE = str(Path(__file__).resolve().parents[3] / "engine")


def _features(count: int, question: str = "q") -> list:
    return [(box(i * 3, 0, i * 3 + 2, 2), {"question": question, "model": "m", "mode": "view", "area_m2": 4.0,
                                           "mean_prob": 0.9, "pixels": 4}) for i in range(count)]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(STAGE_SUFFIX) or "segearth-probe" in p.name)


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp"])
def test_full_disk_vector_raises_and_keeps_the_old_output(small_disk, suffix):
    target = small_disk / f"answer{suffix}"
    write_vector(target, _features(2, "old"), UTM, base_attrs=BASE)
    before = {p.name: p.read_bytes() for p in output_files(target) if p.exists()}
    with pytest.raises(OutputError, match="could not write"):
        write_vector(target, _features(6000, "new " * 40), UTM, base_attrs=BASE, overwrite=True)
    after = {p.name: p.read_bytes() for p in output_files(target) if p.exists()}
    assert after == before
    assert _leftovers(small_disk) == []
    with fiona.open(target) as src:
        assert len(src) == 2 and next(iter(src))["properties"]["question"] == "old"


def test_full_disk_new_output_leaves_nothing(small_disk):
    target = small_disk / "answer.geojson"
    with pytest.raises(OutputError):
        write_vector(target, _features(6000), UTM, base_attrs=BASE)
    assert list(small_disk.iterdir()) == []


def test_full_disk_mask_geotiff_raises_and_keeps_the_old_one(small_disk):
    target = small_disk / "mask.tif"
    old = np.zeros((64, 64), np.uint8)
    write_mask_geotiff(target, old, Affine(1, 0, 0, 0, -1, 64), UTM)
    noise = np.random.default_rng(0).integers(0, 2, (2048, 2048), dtype=np.uint8)  # ~0.5 MB deflated
    with pytest.raises(OutputError, match="No space left|could not write"):
        write_mask_geotiff(target, noise, Affine(1, 0, 0, 0, -1, 2048), UTM, overwrite=True)
    with rasterio.open(target) as ds:
        assert ds.shape == (64, 64) and not ds.read(1).any()
    assert _leftovers(small_disk) == []


def test_a_rival_run_that_published_first_wins_and_is_kept(tmp_path):
    """Two runs both passed the early 'exists?' check; the one publishing second must fail, not replace."""
    target = tmp_path / "answer.geojson"
    with pytest.raises(OutputExistsError):
        with staged(target) as tmp:
            tmp.write_text("{}", encoding="utf-8")
            target.write_text("rival", encoding="utf-8")  # the other run published meanwhile
    assert target.read_text(encoding="utf-8") == "rival"
    assert _leftovers(tmp_path) == []


def test_output_that_is_a_folder_or_an_input_is_refused(tmp_path):
    (tmp_path / "out.gpkg").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        write_vector(tmp_path / "out.gpkg", [], UTM, base_attrs=BASE, overwrite=True)
    raster = tmp_path / "input.tif"
    write_mask_geotiff(raster, np.zeros((40, 40), np.uint8), Affine(1, 0, 0, 0, -1, 40), UTM)
    with pytest.raises(InputError, match="would overwrite the input"):
        write_mask_geotiff(raster, np.ones((40, 40), np.uint8), Affine(1, 0, 0, 0, -1, 40), UTM, overwrite=True,
                           inputs=[raster])
    os.link(raster, tmp_path / "alias.tif")
    with pytest.raises(InputError, match="is the input"):
        write_mask_geotiff(tmp_path / "alias.tif", np.ones((40, 40), np.uint8), Affine(1, 0, 0, 0, -1, 40), UTM,
                           overwrite=True, inputs=[raster])


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _host() -> str:
    return socket.gethostname().replace(".", "_")


def _write_in_subprocess(target: Path, question: str, count: int, overwrite: bool, fault_after: int | None) -> int:
    code = textwrap.dedent(f"""
        import sys
        from shapely.geometry import box
        from segearth_engine.geo.writers import write_vector
        base = dict({BASE!r}, question={question!r})
        feats = [(box(i * 3, 0, i * 3 + 2, 2), base) for i in range({count})]
        write_vector({str(target)!r}, feats, {UTM!r}, base_attrs=base, overwrite={overwrite})
    """)
    env = {**os.environ, "PYTHONPATH": ENGINE + os.pathsep + os.environ.get("PYTHONPATH", "")}
    if fault_after is not None:
        env[FAULT_ENV] = str(fault_after)
    return subprocess.run([sys.executable, "-c", code], env=env, timeout=120).returncode


@pytest.mark.parametrize("overwrite", [False, True])
def test_kill_between_shapefile_parts_is_rolled_forward_by_the_next_run(tmp_path, overwrite):
    target = tmp_path / "answer.shp"
    if overwrite:
        assert _write_in_subprocess(target, "old", 2, False, None) == 0
    assert _write_in_subprocess(target, "new", 5, overwrite, fault_after=2) == 99  # killed after 2 of 6 parts
    stages = [p for p in tmp_path.iterdir() if p.name.endswith(STAGE_SUFFIX)]
    assert len(stages) == 1 and (stages[0] / "journal.json").is_file()
    assert clean_stale_stages(tmp_path) == stages
    assert _leftovers(tmp_path) == []
    assert all(p.exists() for p in output_files(target))
    with fiona.open(target) as src:  # geometry (.shp/.shx) and attributes (.dbf) from the same, new run
        rows = list(src)
    assert len(rows) == 5 and {r["properties"]["question"] for r in rows} == {"new"}
    assert json.loads(target.with_suffix(".segearth.json").read_text(encoding="utf-8"))["question"] == "new"


def test_stale_stage_without_journal_is_removed_and_a_live_one_kept(tmp_path):
    dead = tmp_path / f".answer.gpkg.{_host()}-{_dead_pid()}.abc{STAGE_SUFFIX}"
    live = tmp_path / f".answer.gpkg.{_host()}-{os.getpid()}.abd{STAGE_SUFFIX}"
    for stage in (dead, live):
        stage.mkdir()
        (stage / "answer.gpkg").write_bytes(b"half")
    write_vector(tmp_path / "other.gpkg", _features(1), UTM, base_attrs=BASE)
    assert not dead.exists() and live.exists()
    assert not (tmp_path / "answer.gpkg").exists()


def test_disk_store_removes_grids_of_dead_runs(tmp_path):
    stale = tmp_path / f"segearth-grid.{_host()}-{_dead_pid()}.xyz{STAGE_SUFFIX}"
    stale.mkdir()
    (stale / "mask.tif").write_bytes(b"x" * 1000)
    store = DiskStore(64, 64, Affine(1, 0, 0, 0, -1, 64), UTM, folder=str(tmp_path))
    try:
        assert not stale.exists()
    finally:
        store.close()
    assert list(tmp_path.iterdir()) == []
