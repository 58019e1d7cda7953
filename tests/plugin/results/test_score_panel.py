"""The dock's "Score against reference" action: a real tiny-model answer scored against a reference that covers
the extent the question was asked on (so IoU = answer area / extent area), its summary and styled outcome layer."""

from __future__ import annotations

import pytest
from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsField,
    QgsGeometry,
    QgsProject,
    QgsVectorLayer,
)
from qtpy.QtCore import QVariant

from segearth_qgis.results.score_panel import run_extent, score_result

pytestmark = pytest.mark.usefixtures("engine_available")


def _reference_over(rect, crs) -> QgsVectorLayer:
    """One reference polygon covering `rect` (in `crs`), stored in EPSG:4326."""
    layer = QgsVectorLayer("Polygon?crs=EPSG:4326", "reference", "memory")
    geometry = QgsGeometry.fromRect(rect).densifyByCount(20)
    geometry.transform(QgsCoordinateTransform(crs, QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance()))
    feature = QgsFeature(layer.fields())
    feature.setGeometry(geometry)
    layer.dataProvider().addFeatures([feature])
    QgsProject.instance().addMapLayer(layer)
    return layer


def test_score_panel_on_a_result_layer(plugin, rgbn_layer, tiny_model, wait_task):
    panel = plugin.score_panel
    panel.scoreRequested.emit()
    assert "Select a SegEarth result layer" in panel.summary.text()

    plugin.dock.follow_layer(rgbn_layer)
    plugin.dock.question.setPlainText("open flat ground")
    plugin.dock.model_panel.set_model_dir(str(tiny_model))
    task = plugin.run_request(plugin.dock.build_request())
    wait_task(task, 600)
    answer = plugin.last_result_layer
    assert answer is not None and task.error is None
    rect = run_extent(answer)
    assert rect is not None and rect.width() == pytest.approx(rgbn_layer.extent().width())
    assert rect.height() == pytest.approx(rgbn_layer.extent().height())

    panel.scoreRequested.emit()
    assert "reference polygon layer" in panel.summary.text()
    reference = _reference_over(rect, answer.crs())
    panel.reference_combo.setLayer(reference)
    before = set(QgsProject.instance().mapLayers())
    panel_task = score_result(plugin, panel)
    assert panel_task is not None
    wait_task(panel_task, 120)
    scoring = panel_task.value
    answer_m2 = sum(f["area_m2"] for f in answer.getFeatures())
    extent_m2 = rect.width() * rect.height()
    assert answer_m2 > 0
    assert scoring.overall.iou == pytest.approx(answer_m2 / extent_m2, rel=1e-4)
    assert scoring.overall.precision == pytest.approx(1.0, rel=1e-6)
    assert f"IoU {answer_m2 / extent_m2:.3f}" in panel.summary.text()
    (outcomes_id,) = set(QgsProject.instance().mapLayers()) - before
    outcomes = QgsProject.instance().mapLayer(outcomes_id)
    assert isinstance(outcomes.renderer(), QgsCategorizedSymbolRenderer)
    statuses = [f["status"] for f in outcomes.getFeatures()]
    assert statuses.count("matched") + statuses.count("missed") == 1  # one reference
    assert statuses.count("false_alarm") == scoring.count("false_alarm")


def test_a_reference_filter_that_keeps_nothing_is_warned_about(plugin, rgbn_layer, tiny_model, wait_task):
    """The summary said "0 references" and IoU 0 without a word about why."""
    from tests.plugin.conftest import ask

    wait_task(ask(plugin, rgbn_layer, tiny_model, "open flat ground"), 600)
    answer = plugin.last_result_layer
    reference = _reference_over(run_extent(answer), answer.crs())
    reference.dataProvider().addAttributes([QgsField("class", QVariant.Type.String)])  # noqa: QGS402 - QGIS 3.22 takes QVariant
    reference.updateFields()
    reference.setSubsetString("\"class\" = 'roof'")  # the layer's own filter (Filter… in its context menu)
    plugin.score_panel.reference_combo.setLayer(reference)
    wait_task(score_result(plugin, plugin.score_panel), 120)
    assert plugin.score_panel.summary.text().startswith(
        "The reference filter \"class\" = 'roof' matches no reference polygon here: the scores compare the answer "
        "with nothing.\n")
