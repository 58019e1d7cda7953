"""The view prepared while the question is typed, in real QGIS with the real dock, engine and tiny model: typing into
the question box starts (after the debounce) one background encoding of the view Run would use, and the question
then runs without the encoder; it waits for a warm-up still encoding; a warm-up of a view the user left does not
answer for the new one; the setting turns it off."""

from __future__ import annotations

import threading
import time

import pytest
from qtpy.QtTest import QTest

from segearth_qgis.common import settings
from segearth_qgis.running.warm_view import DEBOUNCE_MS, WarmUpTask

pytestmark = pytest.mark.usefixtures("engine_available")
QUESTION = "where could a small plane land"


def _type(plugin, text: str) -> None:
    """Real key presses into the dock's question box (Enter is not typed: it would run the question)."""
    plugin.dock.question.setFocus()
    QTest.keyClicks(plugin.dock.question, text)


def _warm_ups(plugin) -> list[WarmUpTask]:
    """Every WarmUpTask the plugin starts from now on (appended as they start)."""
    started: list[WarmUpTask] = []
    real = plugin.warmer.warm

    def counted():
        task = real()
        if task is not None:
            started.append(task)
        return task

    plugin.warmer.timer.timeout.disconnect()
    plugin.warmer.timer.timeout.connect(counted)
    return started


def _finished(plugin, warm_up, spin) -> None:
    """Wait until the warm-up's finished() ran (QGIS deletes the task's C++ side afterwards: its Python attributes
    stay readable, its methods do not)."""
    assert spin(lambda: warm_up not in plugin.warmer.tasks, 300)


def _ask(plugin, wait_task, task=None):
    """Press Run (or use the given question task) and wait for the answer."""
    if task is None:
        plugin.dock.run_button.click()
        task = plugin.task
    assert task is not None, plugin.dock.stage.text()
    wait_task(task, 600)
    assert task.error is None and not task.cancelled, task.error
    return task


def _slow_encoder(monkeypatch, segmenter, seconds: float) -> threading.Event:
    """The real encoder, entered after a `seconds` delay: a warm-up then stays in flight long enough to ask during
    it. Returns an event set when an encoding starts."""
    entered = threading.Event()
    real = segmenter.encode_batch

    def slow(images, is_cancelled=None):
        entered.set()
        time.sleep(seconds)
        return real(images, is_cancelled=is_cancelled)

    monkeypatch.setattr(segmenter, "encode_batch", slow)
    return entered


def test_typing_prepares_the_view_once_and_the_question_skips_the_encoder(loaded, wait_task, spin):
    plugin = loaded
    started = _warm_ups(plugin)
    segmenter = plugin.holder.segmenter
    calls = segmenter.encoder_calls
    _type(plugin, "where could")
    spin(lambda: False, DEBOUNCE_MS / 1000 / 2)
    assert started == [] and plugin.warmer.task is None  # not on every key: the debounce is still running
    _type(plugin, " a small plane land")
    assert spin(lambda: started, 10)
    assert len(started) == 1  # one warm-up for the whole question
    _finished(plugin, started[0], spin)
    assert started[0].encoded == 1 and started[0].error is None
    assert segmenter.encoder_calls == calls + 1
    assert plugin.dock.stage.text() == "View prepared for the next question"

    _type(plugin, "?")  # the same view again: nothing more to prepare
    spin(lambda: False, 2 * DEBOUNCE_MS / 1000)
    assert len(started) == 1

    question = _ask(plugin, wait_task)
    assert question.request.question == QUESTION + "?"
    assert (question.result.encoder_calls, question.result.cache_hits) == (0, 1)
    assert segmenter.encoder_calls == calls + 1
    assert plugin.last_result_layer is not None


def test_question_asked_while_the_view_is_being_prepared_waits_for_it(loaded, wait_task, spin, monkeypatch):
    plugin = loaded
    segmenter = plugin.holder.segmenter
    entered = _slow_encoder(monkeypatch, segmenter, 2.0)
    calls = segmenter.encoder_calls
    _type(plugin, QUESTION)
    assert spin(lambda: plugin.warmer.task is not None, 10)
    warm_up = plugin.warmer.task
    assert spin(entered.is_set, 60)  # the warm-up is inside the encoder
    plugin.dock.run_button.click()
    question = plugin.task
    assert question is not None and plugin.dock.stage.text() == "encoding"
    _finished(plugin, warm_up, spin)
    _ask(plugin, wait_task, question)
    assert warm_up.encoded == 1
    assert (question.result.encoder_calls, question.result.cache_hits) == (0, 1)
    assert segmenter.encoder_calls == calls + 1  # encoded once, by the warm-up


def test_setting_off_prepares_nothing(loaded, wait_task, spin):
    plugin = loaded
    started = _warm_ups(plugin)
    plugin.dock.model_panel.warm_view.setChecked(False)
    assert settings.get("warm_view") is False and not plugin.warmer.enabled
    calls = plugin.holder.segmenter.encoder_calls
    _type(plugin, QUESTION)
    spin(lambda: False, 3 * DEBOUNCE_MS / 1000)
    assert started == [] and plugin.holder.segmenter.encoder_calls == calls
    question = _ask(plugin, wait_task)
    assert question.result.encoder_calls == 1  # the question encoded its view itself
    plugin.dock.model_panel.warm_view.setChecked(True)
    assert settings.get("warm_view") is True


def _show_on_canvas(plugin, layer, x_fraction: float) -> None:
    """The canvas in the layer's CRS, zoomed in on a small part of the layer centred at `x_fraction` of its width."""
    from qgis.core import QgsRectangle

    canvas = plugin.iface.mapCanvas()
    canvas.setDestinationCrs(layer.crs())
    extent = layer.extent()
    x, y, side = extent.xMinimum() + x_fraction * extent.width(), extent.center().y(), extent.width() / 10
    canvas.setExtent(QgsRectangle(x - side, y - side, x + side, y + side))
    canvas.refresh()


def test_prepared_view_left_by_a_pan_does_not_answer_the_question(loaded, rgbn_layer, wait_task, spin):
    plugin = loaded
    dock = plugin.dock
    dock.extent_combo.setCurrentIndex(dock.extent_combo.findData(dock.EXTENT_VIEW))
    _show_on_canvas(plugin, rgbn_layer, 0.3)
    _type(plugin, QUESTION)
    assert spin(lambda: plugin.warmer.task is not None, 10)
    warm_up = plugin.warmer.task
    _finished(plugin, warm_up, spin)
    assert warm_up.encoded == 1 and warm_up.request.extent is not None
    _show_on_canvas(plugin, rgbn_layer, 0.7)  # the user pans: the view Run uses is another one
    question = _ask(plugin, wait_task)
    assert question.request.extent != warm_up.request.extent
    assert (question.result.encoder_calls, question.result.cache_hits) == (1, 0)

    _show_on_canvas(plugin, rgbn_layer, 0.5)  # pans again and edits the question: this view is prepared anew
    _type(plugin, "?")
    assert spin(lambda: plugin.warmer.task is not None, 10)
    again = plugin.warmer.task
    _finished(plugin, again, spin)
    assert again.encoded == 1 and again.request.extent not in (warm_up.request.extent, question.request.extent)
    question = _ask(plugin, wait_task)
    assert (question.result.encoder_calls, question.result.cache_hits) == (0, 1)


def test_stale_warm_up_in_flight_is_cancelled_by_a_question_on_another_extent(loaded, rgbn_layer, wait_task, spin,
                                                                               monkeypatch):
    """'Segment selected extent' on a rectangle while the whole layer is being prepared: the warm-up is cancelled
    (its view is not the question's) and the question encodes its own extent."""
    from qgis.core import QgsRectangle

    plugin = loaded
    segmenter = plugin.holder.segmenter
    entered = _slow_encoder(monkeypatch, segmenter, 1.0)
    _type(plugin, QUESTION)
    assert spin(lambda: plugin.warmer.task is not None, 10)
    warm_up = plugin.warmer.task
    assert warm_up.request.extent is None  # the whole layer
    assert spin(entered.is_set, 60)
    plugin.iface.mapCanvas().setDestinationCrs(rgbn_layer.crs())
    extent = rgbn_layer.extent()
    rect = QgsRectangle(extent.xMinimum(), extent.yMinimum(), extent.center().x(), extent.center().y())
    question = plugin.run_on_canvas_rect(rect)
    assert question is not None and plugin.dock.stage.text() == "Starting…"
    _ask(plugin, wait_task, question)
    _finished(plugin, warm_up, spin)
    assert warm_up.cancelled and warm_up.encoded is None
    assert (question.result.encoder_calls, question.result.cache_hits) == (1, 0)


def test_question_typed_before_the_model_loaded_is_prepared_once_it_has(plugin, rgbn_layer, tiny_model, wait_task,
                                                                        spin):
    plugin.dock.model_panel.warm_view.setChecked(True)
    plugin.dock.follow_layer(rgbn_layer)
    plugin.dock.model_panel.set_model_dir("")  # no model yet
    _type(plugin, QUESTION)
    spin(lambda: False, 2 * DEBOUNCE_MS / 1000)
    assert plugin.warmer.task is None  # nothing to encode with
    plugin.dock.model_panel.set_model_dir(str(tiny_model))
    preload = plugin.preloader.loading(str(tiny_model))
    assert preload is not None
    wait_task(preload, 600)
    assert spin(lambda: plugin.warmer.task is not None, 10)  # the load's end prepares the view typed meanwhile
    warm_up = plugin.warmer.task
    _finished(plugin, warm_up, spin)
    assert warm_up.encoded == 1
    assert _ask(plugin, wait_task).result.encoder_calls == 0
