"""The dock turns its widgets into the right frozen request, and follows the active layer."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
from qtpy.QtCore import Qt
from qtpy.QtTest import QTest

from segearth_qgis.running.request import PluginRequest, RequestError


def _select(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def test_plugin_loads_with_dock_and_actions(plugin):
    assert plugin.dock is not None and not plugin.dock.isHidden()
    assert plugin.select_action.text() == "Segment selected extent"
    assert plugin.visible_action.text() == "Segment visible extent"
    assert not plugin.select_action.icon().isNull()
    assert plugin.provider is not None and plugin.provider.algorithms()


def test_dock_builds_frozen_request(plugin, rgbn_layer, tmp_path):
    dock = plugin.dock
    dock.follow_layer(rgbn_layer)
    assert dock.current_layer() is rgbn_layer
    assert not dock.bands_widget.isHidden()  # 4 bands: band mapping shown
    dock.question.setPlainText("  where could a small\nplane land? ")
    _select(dock.task_combo, "referring")
    _select(dock.mode_combo, "tiled")
    dock.resolution.setValue(10.0)
    _select(dock.band_combos[0], 4)
    _select(dock.band_combos[1], 3)
    _select(dock.band_combos[2], 2)
    dock.model_panel.set_model_dir(str(tmp_path))

    request = dock.build_request()
    assert request == PluginRequest(layer_id=rgbn_layer.id(), question="where could a small plane land?",
                                    model_dir=str(tmp_path), task="referring", mode="tiled", extent=None,
                                    resolution=10.0, bands=(4, 3, 2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.question = "x"  # type: ignore[misc]
    with_extent = dock.build_request(extent=(1.0, 2.0, 3.0, 4.0))
    assert with_extent.extent == (1.0, 2.0, 3.0, 4.0)

    captured = {}
    fake_pipeline = SimpleNamespace(SegmentationRequest=lambda **kw: captured.update(kw) or kw)
    request.to_engine(fake_pipeline)
    assert captured["question"] == "where could a small plane land?"
    assert captured["bands"] == (4, 3, 2) and captured["mode"] == "tiled" and captured["extent_crs"] is None


def test_engine_request_is_the_engines_dataclass(engine_available, tmp_path):
    from segearth_engine.api import SegmentationRequest

    request = PluginRequest(layer_id="x", question="q", model_dir=str(tmp_path), extent=(0, 0, 1, 1))
    engine = request.to_engine()
    assert isinstance(engine, SegmentationRequest)
    assert (engine.question, engine.task, engine.mode, engine.extent) == ("q", "reasoning", "view", (0, 0, 1, 1))


def test_three_band_layer_has_no_band_mapping(plugin, load_raster, synthetic_tif):
    layer = load_raster(synthetic_tif)
    plugin.dock.follow_layer(layer)
    assert plugin.dock.bands_widget.isHidden()
    assert plugin.dock.bands() is None


def test_form_errors_are_explained(plugin, rgbn_layer):
    dock = plugin.dock
    dock.follow_layer(rgbn_layer)
    dock.question.setPlainText("")
    with pytest.raises(RequestError, match="question"):
        dock.build_request()
    dock.request_run()
    assert "question" in dock.stage.text()


def test_enter_runs_and_shift_enter_breaks_line(plugin, rgbn_layer, tmp_path):
    dock = plugin.dock
    dock.follow_layer(rgbn_layer)
    dock.model_panel.set_model_dir(str(tmp_path))
    seen = []
    dock.runRequested.disconnect()
    dock.runRequested.connect(seen.append)
    dock.question.setPlainText("roads")
    dock.question.moveCursor(dock.question.textCursor().MoveOperation.End)
    QTest.keyClick(dock.question, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert seen == [] and dock.question.toPlainText() == "roads\n"
    QTest.keyClick(dock.question, Qt.Key.Key_Return)
    assert len(seen) == 1 and seen[0].question == "roads"


def test_history_is_per_layer(plugin, rgbn_layer, synthetic_tif, load_raster):
    other = load_raster(synthetic_tif)
    dock = plugin.dock
    dock.follow_layer(rgbn_layer)
    dock.add_history(rgbn_layer.id(), "roads")
    dock.add_history(rgbn_layer.id(), "water")
    dock.add_history(rgbn_layer.id(), "roads")
    assert [dock.history.item(i).text() for i in range(dock.history.count())] == ["roads", "water"]
    dock.follow_layer(other)
    assert dock.history.count() == 0


def test_dock_fits_its_minimum_width_without_horizontal_scrolling(plugin, rgbn_layer):
    from qtpy.QtWidgets import QApplication, QStyle

    dock = plugin.dock
    dock.follow_layer(rgbn_layer)  # 4 bands: the widest form, with the band mapping row
    body = dock.widget().widget()
    scrollbar = QApplication.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
    assert body.minimumSizeHint().width() + scrollbar <= dock.minimumWidth()


def test_closing_the_dock_with_its_x_unchecks_the_toolbar_button(plugin):
    """It stayed checked: two clicks were needed to reopen the panel."""
    assert plugin.dock_action.isChecked()
    plugin.dock.close()  # what the dock's title-bar X does
    assert plugin.dock.isHidden() and not plugin.dock_action.isChecked()
    plugin.dock_action.trigger()  # one click reopens it
    assert not plugin.dock.isHidden() and plugin.dock_action.isChecked()


def test_a_tiny_resolution_is_explained_with_the_docks_resolution_field(plugin, rgbn_layer, tiny_model, wait_task,
                                                                         engine_available):
    """The engine's message named CLI flags ("use a coarser --resolution")."""
    dock = plugin.dock
    dock.follow_layer(rgbn_layer)
    dock.question.setPlainText("fields")
    dock.model_panel.set_model_dir(str(tiny_model))
    _select(dock.mode_combo, "tiled")
    dock.resolution.setValue(0.0001)  # map units (metres) per pixel: a 50000x grid of a 5 m raster
    task = plugin.run_request(dock.build_request())
    wait_task(task, 300)
    assert task.error and "--" not in task.error, task.error
    assert task.error.startswith("Too large for this resolution: the answer would be a grid of ")
    assert "Set Resolution to at least" in task.error and task.error.endswith("or choose a smaller extent.")
    assert dock.stage.text() == f"Failed: {task.error}"
