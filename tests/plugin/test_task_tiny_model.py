"""End to end in real QGIS with the real engine and a tiny random-weight model (its masks mean nothing).

Only the plumbing is asserted: layer, CRS, fields, metadata, cache reuse, cancel, device honesty.
"""

from __future__ import annotations

import pytest
from qgis.core import QgsProject

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
    _check_layer(plugin, rgbn_layer, question)
    device = plugin.dock.model_panel.device.text()
    assert device == plugin.holder.segmenter.device and device
    assert "CUDA" not in device or "CUDAExecutionProvider" in device  # never claim a GPU that is not used
    assert "random weights" in plugin.dock.model_panel.status.text()
    assert task.request.bands == (1, 2, 3)

    segmenter = plugin.holder.segmenter
    calls = segmenter.encoder_calls
    plugin.dock.history.item(0)  # history has the question
    assert plugin.dock.history_for(rgbn_layer.id()) == [question]
    _run(plugin, rgbn_layer, tiny_model, "the river", wait_task, task_combo="referring")
    assert plugin.holder.segmenter is segmenter  # model kept loaded
    assert segmenter.encoder_calls == calls  # same image: the FeatureCache skipped the encoder
    assert plugin.dock.history_for(rgbn_layer.id()) == ["the river", question]


def test_tiny_model_on_synthetic_tiled(plugin, load_raster, synthetic_tif, tiny_model, wait_task):
    raster = load_raster(synthetic_tif)
    question = "the bright square"
    _run(plugin, raster, tiny_model, question, wait_task, mode_combo="tiled")
    layer = _check_layer(plugin, raster, question)
    assert layer.crs().authid() == "EPSG:32633"
    for feature in layer.getFeatures():
        assert feature["mode"] == "tiled"
        assert raster.extent().buffered(1e-6).contains(feature.geometry().boundingBox())


def test_cancel_with_real_model_leaves_nothing(plugin, rgbn_layer, tiny_model, wait_task, spin):
    plugin.dock.follow_layer(rgbn_layer)
    plugin.dock.question.setPlainText("cancel me")
    plugin.dock.model_panel.set_model_dir(str(tiny_model))
    before = set(QgsProject.instance().mapLayers())
    task = plugin.run_request(plugin.dock.build_request())
    plugin.cancel()
    wait_task(task, 600)
    assert task.cancelled
    assert set(QgsProject.instance().mapLayers()) == before
    assert plugin.last_result_layer is None


def test_export_real_result_to_shapefile(plugin, rgbn_layer, tiny_model, wait_task, tmp_path):
    from qgis.core import QgsVectorLayer

    _run(plugin, rgbn_layer, tiny_model, "buildings", wait_task)
    path = plugin.export(plugin.last_result_layer, str(tmp_path / "buildings.shp"))
    back = QgsVectorLayer(path, "back", "ogr")
    assert back.isValid() and back.crs() == rgbn_layer.crs()
    assert back.featureCount() == plugin.last_result_layer.featureCount()
    assert back.fields().names()[:5] == ["question", "model", "mode", "area_m2", "mean_prob"]
