"""SegEarth-R2 in the plugin, in real QGIS with the real engine and the tiny R2 model (random weights; its LLM is
rigged to answer "runway[SEG] and taxiways[SEG] and", a test construction): model panel and dock controls, one
layer with one style per target, the text answer in the dock, export to one Shapefile with the target fields."""

from __future__ import annotations

import dataclasses
import json

import pytest
from qgis.core import QgsCategorizedSymbolRenderer, QgsProcessingContext, QgsProcessingFeedback, QgsVectorLayer

from segearth_qgis.model.model_manager import R1, R2, inspect_model_dir
from segearth_qgis.results.answers import format_answer
from segearth_qgis.results.layers import GROUP_NAME
from segearth_qgis.running.request import RequestError
from tests.plugin.conftest import export_and_wait

pytestmark = pytest.mark.usefixtures("engine_available")
SCRIPTED = ["runway", "taxiways"]  # the phrases the tiny model's scripted answer names (segearth_engine.tiny_models.r2)


def _targets_of(layer) -> set[tuple[str, int]]:
    return {(f["target"], f["target_idx"]) for f in layer.getFeatures()}


def _categories(layer) -> list[tuple[int, str, object]]:
    renderer = layer.renderer()
    assert isinstance(renderer, QgsCategorizedSymbolRenderer), type(renderer).__name__
    assert renderer.classAttribute() == "target_idx"
    return [(int(c.value()), c.label(), c.symbol().color()) for c in renderer.categories()]


def test_model_panel_recognises_r2(tiny_r2_model, tiny_model, tmp_path):
    info = inspect_model_dir(str(tiny_r2_model))
    assert (info.state, info.family, info.multi_target) == ("test", R2, True)
    assert "SegEarth-R2" in info.message and "random weights" in info.message
    r1 = inspect_model_dir(str(tiny_model))
    assert (r1.state, r1.family, r1.multi_target) == ("test", R1, False)

    release = tmp_path / "release"  # a released R2 checkpoint's config.json has no segearth_engine section
    release.mkdir()
    raw = json.loads((tiny_r2_model / "config.json").read_text(encoding="utf-8"))
    raw.pop("segearth_engine")
    (release / "config.json").write_text(json.dumps(raw), encoding="utf-8")
    (release / "model.safetensors").write_bytes(b"")
    real = inspect_model_dir(str(release))
    assert (real.state, real.family) == ("ok", R2) and "random" not in real.message


def test_dock_offers_what_r2_can_do(plugin, rgbn_layer, tiny_r2_model, tiny_model):
    dock = plugin.dock
    dock.follow_layer(rgbn_layer)
    dock.question.setPlainText("the runway and the taxiways")
    dock.mode_combo.setCurrentIndex(dock.mode_combo.findData("tiled"))
    dock.task_combo.setCurrentIndex(dock.task_combo.findData("referring"))
    tiled = dock.mode_combo.model().item(dock.mode_combo.findData("tiled"))

    dock.model_panel.set_model_dir(str(tiny_r2_model))
    assert "SegEarth-R2 test model (random weights)" in dock.model_panel.status.text()
    assert dock.mode_combo.currentData() == "view" and not tiled.isEnabled()  # view only ...
    assert "SegEarth-R2" in dock.mode_combo.toolTip()  # ... and why
    assert not dock.task_combo.isEnabled() and "SegEarth-R2" in dock.task_combo.toolTip()
    request = dock.build_request()
    assert (request.mode, request.task) == ("view", "reasoning")
    dock.mode_combo.setCurrentIndex(dock.mode_combo.findData("tiled"))  # only code can pick the disabled item
    with pytest.raises(RequestError, match="single view"):
        dock.build_request()
    assert plugin.run_request(dataclasses.replace(request, mode="tiled")) is None
    assert "single view" in dock.stage.text()

    dock.model_panel.set_model_dir(str(tiny_model))  # back to R1: everything offered again
    assert tiled.isEnabled() and dock.task_combo.isEnabled()
    assert dock.mode_combo.toolTip() == "" and dock.task_combo.toolTip() == ""


def test_r2_answer_becomes_one_layer_styled_per_target(plugin, rgbn_layer, tiny_r2_model, load_scripted_r2,
                                                       wait_task, tmp_path, qgis_iface):
    from qgis.core import Qgis, QgsProject

    dock = plugin.dock
    question = "where can planes taxi and take off?"
    dock.follow_layer(rgbn_layer)
    dock.question.setPlainText(question)
    dock.model_panel.set_model_dir(str(tiny_r2_model))
    segmenter = load_scripted_r2(plugin.holder)
    dock.set_answer("an old answer[SEG]")
    assert dock.answer.toPlainText() == "an old answer [1]" and not dock.answer.isHidden()

    task = plugin.run_request(dock.build_request())
    assert task is not None, dock.stage.text()
    assert dock.answer.toPlainText() == "" and dock.answer.isHidden()  # cleared on a new run
    wait_task(task, 300)
    assert task.error is None, task.error
    assert plugin.holder.segmenter is segmenter and segmenter.multi_target

    result = task.result
    assert result.targets == SCRIPTED and result.answer.count("[SEG]") == 2
    group = QgsProject.instance().layerTreeRoot().findGroup(GROUP_NAME)
    assert len(group.findLayers()) == 1 and len(plugin.result_layers) == 1  # one layer for the whole answer
    layer = plugin.last_result_layer
    assert layer.crs() == rgbn_layer.crs() and layer.name() == question
    assert {"target", "target_idx"} <= set(layer.fields().names())
    assert layer.featureCount() == len(result.features) > 0
    assert _targets_of(layer) == {("runway", 0), ("taxiways", 1)}
    for feature in layer.getFeatures():
        assert feature["question"] == question and feature.geometry().isGeosValid()

    categories = _categories(layer)  # styled apart: one category per target, named by its phrase
    assert [(value, label) for value, label, _ in categories] == [(0, "runway"), (1, "taxiways")]
    colours = [colour for _, _, colour in categories]
    assert colours[0].name() != colours[1].name() and all(c.alpha() < 255 for c in colours)
    assert [item.label() for item in layer.renderer().legendSymbolItems()] == SCRIPTED

    shown = dock.answer.toPlainText()
    assert shown == format_answer(result.answer) and not dock.answer.isHidden()
    assert shown.startswith("runway [1] and taxiways [2]")
    assert "2 targets" in dock.stage.text()
    abstract = layer.metadata().abstract()
    assert result.answer in abstract and "SegEarth-R2" in abstract and "random test model" in abstract
    status = dock.model_panel.status.text()
    assert "SegEarth-R2" in status and "test model (random weights)" in status
    warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert any("TEST model" in message for message in warnings)

    _exports_keep_the_targets(plugin, layer, rgbn_layer, tmp_path)


def _exports_keep_the_targets(plugin, layer, rgbn_layer, tmp_path) -> None:
    path = export_and_wait(plugin, layer, tmp_path / "targets.shp")
    back = QgsVectorLayer(path, "back", "ogr")  # read back by QGIS, which also loads the .qml next to it
    assert back.isValid() and back.crs() == rgbn_layer.crs()
    assert back.featureCount() == layer.featureCount()
    assert {"target", "target_idx"} <= set(back.fields().names())
    assert _targets_of(back) == {("runway", 0), ("taxiways", 1)}
    assert [(value, label) for value, label, _ in _categories(back)] == [(0, "runway"), (1, "taxiways")]

    gpkg = export_and_wait(plugin, layer, tmp_path / "targets.gpkg")
    back = QgsVectorLayer(gpkg, "back", "ogr")  # the style travels inside the GeoPackage
    assert _targets_of(back) == {("runway", 0), ("taxiways", 1)}
    assert [label for _, label, _ in _categories(back)] == SCRIPTED


def test_processing_reports_the_answer_and_target_fields(rgbn_layer, tiny_r2_model, load_scripted_r2,
                                                         qgis_processing):
    from qgis.core import QgsApplication

    from segearth_qgis.processing.provider import SegEarthProvider

    provider = SegEarthProvider()
    QgsApplication.processingRegistry().addProvider(provider)
    try:
        algorithm = QgsApplication.processingRegistry().createAlgorithmById("segearth:segmentbyquestion")
        load_scripted_r2(algorithm.holder)
        context, feedback = QgsProcessingContext(), QgsProcessingFeedback()
        outputs = algorithm.processAlgorithm({"INPUT": rgbn_layer, "QUESTION": "the runway and the taxiways",
                                             "TASK": 0, "MODE": 0, "MODEL": str(tiny_r2_model),
                                             "OUTPUT": "memory:targets"}, context, feedback)
    finally:
        QgsApplication.processingRegistry().removeProvider(provider)
    layer = context.getMapLayer(outputs["OUTPUT"])
    assert layer is not None and layer.isValid()
    assert _targets_of(layer) == {("runway", 0), ("taxiways", 1)}
    assert "runway [1] and taxiways [2]" in feedback.textLog()
