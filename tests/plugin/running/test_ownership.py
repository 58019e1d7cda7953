"""A run, a warm-up and a scoring belong to the project and raster they were asked on (real QGIS, the real engine and
the tiny model): File > New or removing the raster cancels them and says why; nothing is ever added to another
project."""

from __future__ import annotations

import time

import pytest
from qgis.core import QgsProject

from segearth_qgis.results.layers import GROUP_NAME
from tests.plugin.conftest import ask
from tests.plugin.running.test_warm_view import _slow_encoder

pytestmark = pytest.mark.usefixtures("engine_available")


def _nothing_added(project: QgsProject) -> None:
    assert [layer.name() for layer in project.mapLayers().values()] == []
    assert project.layerTreeRoot().findGroup(GROUP_NAME) is None


def test_file_new_during_a_tiled_question_cancels_it_and_leaves_the_new_project_untouched(
        plugin, load_raster, synthetic_tif, tiny_model, wait_task, qgis_iface):
    from qgis.core import Qgis

    task = ask(plugin, load_raster(synthetic_tif), tiny_model, "the bright square", mode="tiled")
    project = QgsProject.instance()
    project.clear()  # what File > New and opening another project do to QGIS's one project
    assert not project.isDirty()
    wait_task(task, 300)
    _nothing_added(project)
    assert not project.isDirty()  # the new project is not marked changed
    assert task.cancelled and plugin.last_result_layer is None
    stage = plugin.dock.stage.text()
    assert stage == "Cancelled: the project was closed (a new or another project was opened); nothing was added"
    warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert any("project was closed" in m for m in warnings)
    assert plugin.dock.run_button.isEnabled() and plugin.task is None  # ready for the next question


def test_removing_the_raster_cancels_its_question_at_once(plugin, load_raster, synthetic_tif, tiny_model,
                                                          wait_task):
    raster = load_raster(synthetic_tif, "scene")
    task = ask(plugin, raster, tiny_model, "the bright square", mode="tiled")
    QgsProject.instance().removeMapLayer(raster.id())
    removed = time.monotonic()
    wait_task(task, 300)
    assert time.monotonic() - removed < 5.0  # it ran on for 35 s with a full-size model, then added a layer
    assert task.cancelled
    _nothing_added(QgsProject.instance())
    assert plugin.dock.stage.text() == ("Cancelled: the raster layer scene was removed from the project; nothing was "
                                        "added")


def test_removing_the_raster_stops_the_view_being_prepared(loaded, rgbn_layer, spin, monkeypatch):
    plugin = loaded
    entered = _slow_encoder(monkeypatch, plugin.holder.segmenter, 20.0)  # the warm-up stays in flight a while
    plugin.dock.question.setPlainText("where could a small plane land")
    warm_up = plugin.warmer.warm()
    assert warm_up is not None and spin(entered.is_set, 60)
    QgsProject.instance().removeMapLayer(rgbn_layer.id())
    removed = time.monotonic()
    assert spin(lambda: warm_up not in plugin.warmer.tasks, 60)
    assert time.monotonic() - removed < 5.0  # it kept encoding for 33 s
    assert warm_up.cancelled and warm_up.encoded is None


def test_scores_finished_after_file_new_are_not_added_to_the_new_project(plugin, rgbn_layer, tiny_model,
                                                                         wait_task):
    from qgis.core import QgsVectorLayer

    from segearth_qgis.results.score_panel import score_result

    wait_task(ask(plugin, rgbn_layer, tiny_model, "fields"), 300)
    reference = QgsVectorLayer("MultiPolygon?crs=EPSG:32618", "reference", "memory")
    QgsProject.instance().addMapLayer(reference)
    plugin.score_panel.reference_combo.setLayer(reference)
    task = score_result(plugin, plugin.score_panel)
    assert task is not None
    QgsProject.instance().clear()
    wait_task(task, 120)
    _nothing_added(QgsProject.instance())
    assert plugin.score_panel.summary.text().startswith("Scores not added: the project was closed")
