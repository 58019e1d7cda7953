"""Background model load in real QGIS with the real engine and the tiny random model: the model loads as soon as it
is set, the device line says "loading…" then the device, and a question asked meanwhile waits for that load."""

from __future__ import annotations

import pytest

from tests.plugin.conftest import ask

pytestmark = pytest.mark.usefixtures("engine_available")


@pytest.fixture()
def loads(monkeypatch):
    """Every Segmenter.from_pretrained call (the real one runs), by model folder. Ask for it before `plugin`: the
    plugin starts loading the folder saved in its settings as soon as it starts. Loads that a previous test's plugin
    began are let finish first; the new plugin may still start by loading the folder of its saved settings."""
    from qgis.core import QgsApplication

    from segearth_engine.models.r1.segmenter import Segmenter
    from segearth_qgis.model.model_loader import ModelLoadTask
    from tests.plugin.conftest import process_events_until

    manager = QgsApplication.taskManager()
    assert process_events_until(lambda: not any(isinstance(t, ModelLoadTask) for t in manager.activeTasks()), 600)

    calls: list[str] = []
    real = Segmenter.from_pretrained.__func__

    def counted(cls, model, *args, **kwargs):
        calls.append(str(model))
        return real(cls, model, *args, **kwargs)

    monkeypatch.setattr(Segmenter, "from_pretrained", classmethod(counted))
    return calls


def test_choosing_a_model_loads_it_in_the_background(loads, plugin, tiny_model, wait_task):
    panel = plugin.dock.model_panel
    panel.set_model_dir(str(tiny_model))
    task = plugin.preloader.loading(str(tiny_model))
    assert task is not None
    assert panel.device.text() == "loading…"
    panel.refresh()  # the folder checked again (as when the same folder is set again, or packages installed)
    assert panel.device.text() == "loading…"
    wait_task(task, 600)
    assert task.error is None, task.error
    assert plugin.holder.loaded(str(tiny_model))
    assert panel.device.text() == plugin.holder.segmenter.device != ""
    assert loads.count(str(tiny_model)) == 1
    assert plugin.preloader.preload(str(tiny_model)) is None  # loaded: nothing more to do
    assert panel.device.text() == plugin.holder.segmenter.device


def test_question_asked_while_loading_waits_for_that_load(loads, plugin, rgbn_layer, tiny_model, wait_task, spin):
    plugin.dock.follow_layer(rgbn_layer)
    plugin.dock.question.setPlainText("where could a small plane land?")
    plugin.dock.model_panel.set_model_dir(str(tiny_model))
    preload = plugin.preloader.loading(str(tiny_model))
    assert preload is not None
    question = plugin.run_request(plugin.dock.build_request())
    assert question is not None, plugin.dock.stage.text()
    wait_task(question, 600)
    assert spin(lambda: not plugin.preloader.tasks, 600)  # the preload's finished() has run too
    assert question.error is None, question.error
    assert plugin.last_result_layer is not None
    assert loads.count(str(tiny_model)) == 1  # one load, shared by the preload and the question
    assert plugin.dock.model_panel.device.text() == plugin.holder.segmenter.device


def test_no_load_for_an_unusable_folder(loads, plugin, tmp_path):
    panel = plugin.dock.model_panel
    panel.set_model_dir(str(tmp_path))  # no config.json, no weights
    assert plugin.preloader.loading(str(tmp_path)) is None
    assert panel.device.text() == "not loaded"
    assert str(tmp_path) not in loads


def test_load_failure_is_shown_on_the_device_line(loads, plugin, tiny_model, tmp_path, wait_task):
    import shutil

    broken = shutil.copytree(tiny_model, tmp_path / "broken", ignore=shutil.ignore_patterns("onnx"))
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:4096])  # truncated: the engine refuses it with a clear message
    panel = plugin.dock.model_panel
    panel.set_model_dir(str(broken))
    task = plugin.preloader.loading(str(broken))
    wait_task(task, 600)
    assert task.error
    assert panel.device.text().startswith("not loaded: ")
    assert not plugin.holder.loaded(str(broken))


def test_changing_folder_during_a_load_keeps_only_the_new_model(loads, plugin, tiny_model, tmp_path, spin):
    import shutil

    other = shutil.copytree(tiny_model, tmp_path / "other")
    panel = plugin.dock.model_panel
    panel.set_model_dir(str(tiny_model))
    first = plugin.preloader.loading(str(tiny_model))
    panel.set_model_dir(str(other))  # returns at once: the GUI thread never waits for the first load
    second = plugin.preloader.loading(str(other))
    assert first is not None and second is not None
    assert spin(lambda: not plugin.preloader.tasks, 600)
    assert plugin.holder.loaded(str(other)) and not plugin.holder.loaded(str(tiny_model))
    assert panel.device.text() == plugin.holder.segmenter.device


def test_opening_the_dock_with_a_model_configured_loads_it(loads, qgis_iface, project, tiny_model, spin):
    from segearth_qgis import classFactory
    from segearth_qgis.common import settings
    settings.put("model_dir", str(tiny_model))
    instance = classFactory(qgis_iface)
    instance.initGui()
    try:
        assert instance.preloader.loading(str(tiny_model)) is not None or instance.holder.loaded(str(tiny_model))
        assert spin(lambda: instance.holder.loaded(str(tiny_model)) and not instance.preloader.tasks, 600)
        assert instance.dock.model_panel.device.text() == instance.holder.segmenter.device
        assert loads.count(str(tiny_model)) == 1
    finally:
        instance.unload()


def test_a_question_ending_after_the_folder_changed_to_a_missing_one_leaves_the_panel_about_that_folder(
        loads, plugin, rgbn_layer, tiny_model, tmp_path, wait_task, spin):
    """The status went back to "Loaded: <the old model>" and the device to the old device, next to a folder that does
    not exist; Run then said "Folder does not exist"."""
    panel = plugin.dock.model_panel
    question = ask(plugin, rgbn_layer, tiny_model, "where could a small plane land?")
    gone = tmp_path / "no such model"
    panel.set_model_dir(str(gone))
    wait_task(question, 600)
    assert spin(lambda: not plugin.preloader.tasks, 600)
    assert question.error is None and plugin.last_result_layer is not None  # the question itself was answered
    assert panel.model_dir() == str(gone)
    assert "Folder does not exist" in panel.status.text() and "Loaded" not in panel.status.text()
    assert panel.device.text() == "not loaded"
    run = plugin.dock.run_button  # what the panel says is what Run says: off, and why
    assert not run.isEnabled() and "Folder does not exist" in run.toolTip()
    run.click()
    assert plugin.task is None


def test_a_question_ending_after_another_model_was_chosen_leaves_the_panel_about_the_new_model(
        loads, plugin, rgbn_layer, tiny_model, tmp_path, wait_task, spin):
    import shutil

    from segearth_qgis.model.model_manager import inspect_model_dir

    other = shutil.copytree(tiny_model, tmp_path / "other")
    panel = plugin.dock.model_panel
    question = ask(plugin, rgbn_layer, tiny_model, "where could a small plane land?")
    panel.set_model_dir(str(other))
    wait_task(question, 600)
    assert spin(lambda: not plugin.preloader.tasks, 600)
    assert question.error is None
    assert "Loaded" not in panel.status.text()  # "Loaded: tiny" described the earlier folder
    assert inspect_model_dir(str(other)).message in panel.status.text()
    assert plugin.holder.loaded(str(other)) and panel.device.text() == plugin.holder.segmenter.device


@pytest.mark.parametrize("when", ["queued", "exporting"])
def test_a_cancelled_load_is_not_reported_as_a_failed_task(loads, plugin, tiny_model, tmp_path, wait_task, spin, when):
    """A load cancelled (before it starts, or while it exports the graphs): QGIS announced "Task failed"."""
    import shutil
    import time

    from qgis.core import QgsTask

    fresh = shutil.copytree(tiny_model, tmp_path / "fresh", ignore=shutil.ignore_patterns("onnx"))
    panel = plugin.dock.model_panel
    panel.set_model_dir(str(fresh))
    task = plugin.preloader.loading(str(fresh))
    assert task is not None
    ended: list[tuple[str, str]] = []  # read while the task exists: QGIS deletes it right after
    task.taskCompleted.connect(lambda: ended.append(("completed", task.description())))
    task.taskTerminated.connect(lambda: ended.append(("terminated", task.description())))  # QGIS: "Task failed"
    if when == "exporting":
        assert spin(lambda: task.status() == QgsTask.TaskStatus.Running, 120)
        time.sleep(1.0)  # the export child is under way
    plugin.preloader.cancel()
    wait_task(task, 600)
    assert task.cancelled and task.error is None
    assert len(ended) == 1 and ended[0][0] == "completed" and ended[0][1].endswith("(cancelled)"), ended
    assert panel.device.text() == "not loaded"
