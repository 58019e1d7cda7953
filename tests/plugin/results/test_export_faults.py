"""Export… under faults, in real QGIS with the engine's real writer: a removed layer, a full disk (a real small tmpfs),
a GeoPackage holding other layers, a target that is a file of the project or the source raster, a large layer
(background task with progress and Cancel). Never a Python error: what reaches sys.excepthook (QGIS's Python error
dialog) is recorded and must stay empty."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from qgis.core import Qgis, QgsApplication, QgsCoordinateReferenceSystem, QgsProject, QgsVectorLayer
from shapely.geometry import box

from segearth_qgis.results.layers import add_result_layer, build_result_layer
from tests.plugin.conftest import ask

UTM = QgsCoordinateReferenceSystem("EPSG:32633")


def result_layer(count: int, question: str = "where are the fields?", name_long: bool = False):
    text = (question + " ") * 40 if name_long else question
    features = [(box(500000 + i * 3, 4600000, 500002 + i * 3, 4600002),
                 {"question": text, "model": "tiny", "mode": "view", "area_m2": 4.0, "mean_prob": 0.9})
                for i in range(count)]
    return add_result_layer(build_result_layer(features, question, UTM, {"model": "tiny"}))


@pytest.fixture()
def python_errors(monkeypatch):
    """What reaches sys.excepthook / sys.unraisablehook: in QGIS, the modal "Python error" dialog."""
    calls: list[str] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, value, tb: calls.append(f"{kind.__name__}: {value}"))
    monkeypatch.setattr(sys, "unraisablehook", lambda u: calls.append(f"unraisable {u.exc_value!r}"))
    return calls


def _messages(iface, level) -> list[str]:
    """The message bar's texts at `level`, without the "SegEarth:" title the test interface puts first."""
    return [m.split(":", 1)[1] if m.startswith("SegEarth:") else m for m in iface.messageBar().get_messages(level)]


def _stages(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".segearth-tmp")]


def test_removed_result_layer_then_export_or_score_says_so_without_a_python_error(
        plugin, rgbn_layer, tiny_model, wait_task, qgis_iface, python_errors, engine_available):
    dock = plugin.dock
    wait_task(ask(plugin, rgbn_layer, tiny_model, "fields"), 300)
    result = plugin.last_result_layer
    assert result is not None
    QgsProject.instance().removeMapLayer(result.id())
    dock.export_button.click()  # "RuntimeError: wrapped C/C++ object of type QgsVectorLayer has been deleted"
    plugin.score_panel.button.click()
    assert python_errors == []
    assert _messages(qgis_iface, Qgis.MessageLevel.Warning)[-1:] == ["Select a SegEarth result layer to export"]
    assert plugin.score_panel.summary.text() == "Select a SegEarth result layer to score"


@pytest.mark.parametrize("suffix", [".gpkg", ".shp"])
def test_full_disk_says_disk_full_with_the_space_left_and_keeps_the_old_file(
        plugin, small_disk, qgis_iface, python_errors, exported, suffix):
    target = small_disk / f"answer{suffix}"
    assert exported(plugin, result_layer(2), target) == str(target)
    before = {p.name: p.read_bytes() for p in small_disk.iterdir()}
    assert exported(plugin, result_layer(6000, name_long=True), target, confirm=lambda plan: True) is None
    assert python_errors == []  # fiona's failed commit opened QGIS's Python error dialog
    message = _messages(qgis_iface, Qgis.MessageLevel.Critical)[-1]
    assert message.startswith("The disk is full (") and " free on that disk): " in message, message
    assert message.endswith(f"{target.name} was not written. The existing file is unchanged."), message
    assert "no such table" not in message
    assert {p.name: p.read_bytes() for p in small_disk.iterdir()} == before and _stages(small_disk) == []


def test_overwriting_a_geopackage_replaces_only_our_layer_and_names_the_others(plugin, tmp_path, qgis_iface,
                                                                               exported):
    from segearth_engine.api import write_vector

    target = tmp_path / "survey.gpkg"
    write_vector(target, [(box(0, 0, 1, 1), {"kind": "road"})] * 3, UTM.toWkt(), layer="roads")
    layer = result_layer(2)
    assert exported(plugin, layer, target, confirm=lambda plan: True) == str(target)  # added beside "roads"
    asked: list[str] = []

    def confirm(plan) -> bool:
        from segearth_qgis.results.export_plan import overwrite_question

        asked.append(overwrite_question(plan))
        return True

    assert exported(plugin, result_layer(5), target, confirm=confirm) == str(target)
    assert asked == [f"{target} holds other layers: roads. They are kept; only the layer \"where are the fields?\" "
                     "is written (replaced if it is there). Go on?"]
    roads = QgsVectorLayer(f"{target}|layername=roads", "roads", "ogr")
    ours = QgsVectorLayer(f"{target}|layername=where are the fields?", "ours", "ogr")
    assert roads.isValid() and roads.featureCount() == 3  # every other layer was deleted before
    assert ours.isValid() and ours.featureCount() == 5
    assert _messages(qgis_iface, Qgis.MessageLevel.Success)[-1] == (
        f"Exported to the layer \"where are the fields?\" of {target}; its other layers were kept: roads")


def _geopackage_raster(source: Path, target: Path) -> Path:
    from osgeo import gdal

    gdal.Translate(str(target), str(source), format="GPKG")
    return target


def test_the_source_raster_and_files_of_project_layers_are_never_written_over(
        plugin, data_dir, tmp_path, tiny_model, wait_task, qgis_iface, exported, engine_available):
    from osgeo import gdal
    from qgis.core import QgsRasterLayer

    scene = _geopackage_raster(data_dir / "rgbn.tif", tmp_path / "scene.gpkg")
    raster = QgsRasterLayer(f"GPKG:{scene}:scene", "scene")  # how QGIS names a GeoPackage raster table
    assert raster.isValid()
    QgsProject.instance().addMapLayer(raster)
    before = scene.read_bytes()
    wait_task(ask(plugin, raster, tiny_model, "fields"), 300)
    answer = plugin.last_result_layer
    asked = []
    assert exported(plugin, answer, scene, confirm=lambda plan: asked.append(plan) or True) is None
    assert asked == []  # refused before any question
    refused = _messages(qgis_iface, Qgis.MessageLevel.Critical)[-1]
    assert refused == ("scene.gpkg is a file of the layer \"scene\": exporting there would destroy it. Choose another "
                       "file name.")
    QgsProject.instance().removeMapLayer(raster.id())  # out of the project, still the answer's source
    assert exported(plugin, answer, scene, confirm=lambda plan: True) is None
    assert "would destroy it" in _messages(qgis_iface, Qgis.MessageLevel.Critical)[-1]
    assert scene.read_bytes() == before and gdal.Open(str(scene)) is not None

    roads = tmp_path / "roads.shp"
    assert exported(plugin, result_layer(1), roads) == str(roads)
    QgsProject.instance().addMapLayer(QgsVectorLayer(str(roads), "roads", "ogr"))
    stamp = roads.stat().st_mtime_ns
    assert exported(plugin, answer, roads, confirm=lambda plan: True) is None
    assert "roads.shp is a file of the layer \"roads\"" in _messages(qgis_iface, Qgis.MessageLevel.Critical)[-1]
    assert roads.stat().st_mtime_ns == stamp


def test_export_runs_in_a_background_task_with_progress_and_cancel(plugin, tmp_path, qgis_iface, wait_task, spin):
    layer = result_layer(30000)
    target = tmp_path / "many.gpkg"
    target.write_bytes(b"old contents")
    started = time.monotonic()
    task = plugin.export(layer, str(target), confirm=lambda plan: True)
    returned = time.monotonic() - started
    assert returned < 1.0, returned  # 8,781 polygons froze QGIS for 3.1 s when written on the GUI thread
    assert task is not None and task in QgsApplication.taskManager().tasks()
    progress: list[float] = []
    task.progressChanged.connect(progress.append)
    assert spin(lambda: progress and progress[-1] > 5, 120)
    task.cancel()
    seen = list(progress)
    wait_task(task, 120)
    assert task.cancelled and task.written is None
    assert seen == sorted(seen) and 5 < seen[-1] < 100
    assert target.read_bytes() == b"old contents" and _stages(tmp_path) == []
    assert _messages(qgis_iface, Qgis.MessageLevel.Warning)[-1] == (
        "Export cancelled: nothing was written. The existing file is unchanged.")
