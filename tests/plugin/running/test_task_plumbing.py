"""Task plumbing with the real engine and tiny random model: stages and progress reach the dock, cancel stops the
pipeline between tiles and leaves nothing, engine errors reach the message bar, a second run waits its turn."""

from __future__ import annotations

import shutil

import pytest
from qgis.core import Qgis, QgsProject

pytestmark = pytest.mark.usefixtures("engine_available")


def _prepare(plugin, layer, model_dir, question="where could a small plane land?", **form):
    dock = plugin.dock
    dock.follow_layer(layer)
    dock.question.setPlainText(question)
    dock.model_panel.set_model_dir(str(model_dir))
    for name, value in form.items():
        widget = getattr(dock, name)
        if hasattr(widget, "findData"):
            widget.setCurrentIndex(widget.findData(value))
        else:
            widget.setValue(value)
    return dock.build_request()


def _tile_count(layer, request) -> int:
    """How many tiles the engine plans for `request` (the same functions segment_raster uses)."""
    from segearth_engine.geo.extent import extent_window
    from segearth_engine.geo.tiling import TileLayout
    from segearth_engine.pipeline.raster import plan_grid
    from segearth_qgis.running.qgis_source import QgisRasterSource

    source = QgisRasterSource(layer, request.resolution)
    engine_request = request.to_engine()
    canvas = 1024  # the tiny model's canvas, as the release's
    grid = plan_grid(source, extent_window(source, engine_request.extent), engine_request, canvas)
    return len(TileLayout(grid, canvas, engine_request.overlap))


def test_stages_and_progress_reach_the_dock(plugin, rgbn_layer, tiny_model, wait_task):
    stages, progress = [], []
    task = plugin.run_request(_prepare(plugin, rgbn_layer, tiny_model))
    task.stageChanged.connect(stages.append)
    task.progressChanged.connect(progress.append)
    assert not plugin.dock.run_button.isEnabled() and plugin.dock.cancel_button.isEnabled()
    wait_task(task, 300)
    assert task.error is None, task.error
    assert plugin.task is None and plugin.dock.run_button.isEnabled() and not plugin.dock.cancel_button.isEnabled()
    for stage in ("encoding", "reasoning", "decoding", "vectorising"):
        assert stage in stages, stages
    assert stages.index("encoding") < stages.index("reasoning") < stages.index("vectorising")
    assert progress == sorted(progress) and progress[-1] == 100.0
    assert plugin.dock.progress.value() == 100
    assert plugin.dock.stage.text().startswith("Done:")


def test_cancel_mid_run_stops_between_tiles_and_leaves_nothing(plugin, rgbn_layer, tiny_model, wait_task):
    # 4x finer than native: several 1024-pixel tiles, so there is something left to skip after the cancel
    request = _prepare(plugin, rgbn_layer, tiny_model, "cancel me", mode_combo="tiled",
                       resolution=rgbn_layer.rasterUnitsPerPixelX() / 4)
    total = _tile_count(rgbn_layer, request)
    assert total >= 4
    layers_before = set(QgsProject.instance().mapLayers())
    task = plugin.run_request(request)
    cancelled_at = []

    def cancel_after_first_tile(stage: str) -> None:
        if stage == "reasoning" and not cancelled_at:  # the first tile is encoded: the model is running
            cancelled_at.append(plugin.holder.segmenter.encoder_calls)
            plugin.cancel()

    task.stageChanged.connect(cancel_after_first_tile)
    wait_task(task, 300)
    assert cancelled_at, "the run never reached the model"
    assert task.cancelled and task.result is None and task.error is None
    encoded = plugin.holder.segmenter.encoder_calls
    assert encoded < total, f"all {total} tiles were encoded: the cancel did not stop the pipeline"
    assert set(QgsProject.instance().mapLayers()) == layers_before
    assert QgsProject.instance().layerTreeRoot().findGroup("SegEarth results") is None
    assert plugin.last_result_layer is None and plugin.dock.history_for(rgbn_layer.id()) == []
    assert "Cancelled" in plugin.dock.stage.text() and plugin.dock.progress.value() == 0
    assert plugin.dock.run_button.isEnabled()


def test_model_file_errors_reach_the_message_bar(plugin, rgbn_layer, tiny_model, tmp_path, wait_task, qgis_iface):
    broken = tmp_path / "broken model"
    shutil.copytree(tiny_model, broken, ignore=shutil.ignore_patterns("onnx", "*.safetensors"))
    (broken / "model.safetensors").write_bytes(b"\0" * 1000)  # truncated download
    qgis_iface.messageBar().clear_messages()
    task = plugin.run_request(_prepare(plugin, rgbn_layer, broken))
    wait_task(task, 120)
    critical = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Critical)
    assert any("model.safetensors" in m and "download the model again" in m for m in critical), critical
    assert plugin.last_result_layer is None and "Failed" in plugin.dock.stage.text()


def test_bad_band_mapping_is_an_input_error(plugin, rgbn_layer, tiny_model, wait_task, qgis_iface):
    from dataclasses import replace

    request = replace(_prepare(plugin, rgbn_layer, tiny_model), bands=(1, 2, 9))  # only 4 bands exist
    qgis_iface.messageBar().clear_messages()
    task = plugin.run_request(request)
    wait_task(task, 300)
    critical = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Critical)
    assert any("9" in m and "do not exist" in m for m in critical), critical
    assert plugin.last_result_layer is None


def test_second_run_refused_while_busy(plugin, rgbn_layer, tiny_model, wait_task, qgis_iface):
    request = _prepare(plugin, rgbn_layer, tiny_model)
    qgis_iface.messageBar().clear_messages()
    task = plugin.run_request(request)
    assert task is not None and plugin.run_request(request) is None
    warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert any("already running" in m for m in warnings), warnings
    plugin.cancel()
    wait_task(task, 300)
    assert plugin.task is None
    again = plugin.run_request(request)  # free again once the first one is gone
    assert again is not None
    wait_task(again, 300)
    assert again.error is None and plugin.last_result_layer is not None
