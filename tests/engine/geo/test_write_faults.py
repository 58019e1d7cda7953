"""Writes under faults, as a desktop caller needs them: a full disk named as such (with the space left) and never
reported through sys.excepthook (QGIS turns that into a modal Python error dialog), a GeoPackage's other layers kept,
a cancelled write that leaves the old file as it was."""

from __future__ import annotations

import sys
from pathlib import Path

import fiona
import pytest
from shapely.geometry import box

from segearth_engine.errors import Cancelled, OutputError
from segearth_engine.geo.publish import STAGE_SUFFIX
from segearth_engine.geo.writers import write_vector

UTM = "EPSG:32633"
BASE = {"question": "q", "model": "m", "mode": "view", "area_m2": 0.0, "mean_prob": 0.0}


def _features(count: int, question: str = "q") -> list:
    return [(box(i * 3, 0, i * 3 + 2, 2), {"question": question, "model": "m", "mode": "view", "area_m2": 4.0,
                                           "mean_prob": 0.9}) for i in range(count)]


def _stages(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(STAGE_SUFFIX))


@pytest.fixture
def hook_calls(monkeypatch):
    """What reaches sys.excepthook and sys.unraisablehook (in QGIS: the Python error dialog)."""
    calls: list[str] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, value, tb: calls.append(f"excepthook: {value!r}"))
    monkeypatch.setattr(sys, "unraisablehook", lambda u: calls.append(f"unraisable: {u.exc_value!r}"))
    return calls


@pytest.mark.parametrize("suffix", [".gpkg", ".shp", ".geojson"])
def test_full_disk_says_so_with_the_space_left_and_reports_nothing_through_the_hooks(small_disk, hook_calls,
                                                                                         suffix):
    target = small_disk / f"answer{suffix}"
    with pytest.raises(OutputError) as caught:
        write_vector(target, _features(6000, "new " * 40), UTM, base_attrs=BASE)
    error = caught.value
    assert error.disk_full and str(error).startswith(f"could not write {target}: the disk is full")
    assert hook_calls == []  # fiona's failed GeoPackage commit reached sys.excepthook before
    assert not target.exists() and _stages(small_disk) == []
    assert sys.excepthook.__name__ == "<lambda>"  # the caller's hooks are back


def _gpkg_with_two_layers(path: Path) -> None:
    write_vector(path, _features(2, "other"), UTM, base_attrs=BASE, layer="roads")
    write_vector(path, _features(3, "old"), UTM, base_attrs=BASE, layer="answer", overwrite=True, keep_layers=True)


def _counts(path: Path) -> dict[str, int]:
    out = {}
    for name in fiona.listlayers(path):
        with fiona.open(path, layer=name) as table:
            out[name] = len(table)
    return out


def test_keep_layers_replaces_only_the_named_layer_of_a_geopackage(tmp_path):
    target = tmp_path / "mixed.gpkg"
    _gpkg_with_two_layers(target)
    assert _counts(target) == {"roads": 2, "answer": 3}
    write_vector(target, _features(5, "new"), UTM, base_attrs=BASE, layer="answer", overwrite=True, keep_layers=True)
    assert _counts(target) == {"roads": 2, "answer": 5}
    with fiona.open(target, layer="answer") as table:
        assert {f["properties"]["question"] for f in table} == {"new"}
    write_vector(target, _features(1), UTM, base_attrs=BASE, layer="answer", overwrite=True)
    assert _counts(target) == {"answer": 1}  # without keep_layers an overwrite replaces the file, as the CLI does
    assert _stages(tmp_path) == []


def test_keep_layers_on_a_full_disk_keeps_the_old_file(small_disk, hook_calls):
    target = small_disk / "mixed.gpkg"
    _gpkg_with_two_layers(target)
    before = target.read_bytes()
    with pytest.raises(OutputError) as caught:
        write_vector(target, _features(6000, "new " * 40), UTM, base_attrs=BASE, layer="answer", overwrite=True,
                     keep_layers=True)
    assert caught.value.disk_full and hook_calls == []
    assert target.read_bytes() == before and _stages(small_disk) == []
    assert _counts(target) == {"roads": 2, "answer": 3}


def test_cancelled_write_reports_progress_and_leaves_the_old_file(tmp_path):
    target = tmp_path / "answer.gpkg"
    write_vector(target, _features(2, "old"), UTM, base_attrs=BASE)
    before = target.read_bytes()
    seen: list[float] = []
    with pytest.raises(Cancelled):
        write_vector(target, _features(3000), UTM, base_attrs=BASE, overwrite=True, progress=seen.append,
                     is_cancelled=lambda: len(seen) >= 4)
    assert seen == sorted(seen) and 0.0 < seen[-1] < 1.0 and len(seen) == 4
    assert target.read_bytes() == before and _stages(tmp_path) == []
    done: list[float] = []
    write_vector(target, _features(600), UTM, base_attrs=BASE, overwrite=True, progress=done.append)
    assert done[0] == 0.0 and done[-1] == 1.0
