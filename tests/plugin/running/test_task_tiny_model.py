"""End to end in real QGIS with the real engine and a tiny random-weight model (its masks mean nothing).

Only the plumbing is asserted: layer, CRS, fields, metadata, cache reuse, device honesty, export (cancel and errors:
test_task_plumbing.py).
"""

from __future__ import annotations

import pytest
from qgis.core import QgsProject

from tests.plugin.conftest import export_and_wait

pytestmark = pytest.mark.usefixtures("engine_available")
FIELDS = ["question", "model", "mode", "area_m2", "mean_prob"]


def _run(plugin, layer, model, question, wait_task, timeout=600, **form):
    plugin.dock.follow_layer(layer)
    plugin.dock.question.setPlainText(question)
    plugin.dock.model_panel.set_model_dir(str(model))
    for name, value in form.items():
        combo = getattr(plugin.dock, name)
        combo.setCurrentIndex(combo.findData(value))
    task = plugin.run_request(plugin.dock.build_request())
    assert task is not None, plugin.dock.stage.text()
    wait_task(task, timeout)
    assert task.error is None, task.error
    return task


def _check_layer(plugin, raster, question):
    layer = plugin.last_result_layer
    assert layer is not None and layer.isValid()
    assert QgsProject.instance().mapLayer(layer.id()) is layer
    assert layer.crs() == raster.crs()
    assert layer.fields().names()[: len(FIELDS)] == FIELDS
    assert layer.name() == question
    for feature in layer.getFeatures():
        assert feature["question"] == question
        assert feature.geometry().isGeosValid()
    assert question in layer.metadata().abstract()
    return layer


def test_tiny_model_on_rgbn(plugin, rgbn_layer, tiny_model, wait_task):
    question = "where could a small plane land?"
    task = _run(plugin, rgbn_layer, tiny_model, question, wait_task)
    first = _check_layer(plugin, rgbn_layer, question)
    device = plugin.dock.model_panel.device.text()
    segmenter = plugin.holder.segmenter
    assert device == segmenter.device and device
    used = segmenter.sessions[0].session.get_providers()[0]  # what ONNX Runtime really runs on
    assert used in device  # the panel names the provider in use, never a guess
    assert ("CUDA" in device) == (used == "CUDAExecutionProvider")
    assert "test model (random weights)" in plugin.dock.model_panel.status.text()
    assert "random test model" in plugin.last_result_layer.metadata().abstract()
    assert task.request.bands == (1, 2, 3)

    calls = segmenter.encoder_calls
    assert calls >= 1
    assert [plugin.dock.history.item(i).text() for i in range(plugin.dock.history.count())] == [question]
    _run(plugin, rgbn_layer, tiny_model, "the river", wait_task, task_combo="referring")
    assert plugin.holder.segmenter is segmenter  # model kept loaded
    assert segmenter.encoder_calls == calls  # same image: the FeatureCache skipped the encoder
    assert plugin.dock.history_for(rgbn_layer.id()) == ["the river", question]

    # clicking a past question runs it again (with its own task), from the cached encoding
    item = plugin.dock.history.item(1)
    assert item.text() == question and plugin.dock.task_combo.currentData() == "referring"
    plugin.dock.history.itemClicked.emit(item)
    rerun = plugin.task
    assert rerun is not None and (rerun.request.question, rerun.request.task) == (question, "reasoning")
    wait_task(rerun, 300)
    assert rerun.error is None and segmenter.encoder_calls == calls
    again = plugin.last_result_layer
    assert again is not first and again.name() == question
    assert again.featureCount() == first.featureCount()  # same model, same pixels, same question: same answer


def test_tiny_model_on_synthetic_tiled(plugin, load_raster, synthetic_tif, tiny_model, wait_task):
    raster = load_raster(synthetic_tif)
    question = "the bright square"
    _run(plugin, raster, tiny_model, question, wait_task, mode_combo="tiled")
    layer = _check_layer(plugin, raster, question)
    assert layer.crs().authid() == "EPSG:32633"
    for feature in layer.getFeatures():
        assert feature["mode"] == "tiled"
        assert raster.extent().buffered(1e-6).contains(feature.geometry().boundingBox())


def test_export_real_result_to_shapefile(plugin, rgbn_layer, tiny_model, wait_task, tmp_path):
    from qgis.core import QgsVectorLayer

    _run(plugin, rgbn_layer, tiny_model, "buildings", wait_task)
    path = export_and_wait(plugin, plugin.last_result_layer, tmp_path / "buildings.shp")
    back = QgsVectorLayer(path, "back", "ogr")
    assert back.isValid() and back.crs() == rgbn_layer.crs()
    assert back.featureCount() == plugin.last_result_layer.featureCount()
    assert back.fields().names()[:5] == ["question", "model", "mode", "area_m2", "mean_prob"]


def test_low_memory_setting_reloads_the_model_in_low_memory_mode(plugin, rgbn_layer, tiny_model, wait_task):
    from segearth_qgis.common import settings
    panel = plugin.dock.model_panel
    panel.low_memory.setChecked(False)
    _run(plugin, rgbn_layer, tiny_model, "the fields", wait_task)
    assert "low memory" not in panel.device.text()
    panel.low_memory.setChecked(True)
    assert settings.get("low_memory") is True and plugin.holder.low_memory
    assert plugin.holder.segmenter is None and panel.device.text() == "loading…"  # reloaded in the background at once
    _run(plugin, rgbn_layer, tiny_model, "the fields", wait_task)
    segmenter = plugin.holder.segmenter
    assert "low memory" in panel.device.text() and segmenter.low_memory
    assert segmenter.model is None  # the LLM is released after the question, reloaded by the next one
    panel.low_memory.setChecked(False)
    assert settings.get("low_memory") is False
