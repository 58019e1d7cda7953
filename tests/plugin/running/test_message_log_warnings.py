"""A normal question in real QGIS leaves no warning of ours in QGIS's message log.

QGIS shows Python warnings as qgis.utils sets them up at start-up: `warnings.simplefilter("default")` (so
ResourceWarning and (Pending)DeprecationWarning are shown) and `warnings.showwarning = qgis.utils.showWarning`, which
logs each one to the message log under "Python warning". The test does the same (pytest's own capture is set aside for
its duration), asks a first question on a fresh tiny model (ONNX export child, model load, encoding, answer, layer)
and fails on any logged warning whose source file is ours."""

from __future__ import annotations

import gc
import re
import warnings
from pathlib import Path

import pytest

from tests.plugin.conftest import process_events_until

pytestmark = pytest.mark.usefixtures("engine_available")
REPO = Path(__file__).resolve().parents[3]
#: the first line QGIS logs: "warning:<file>:<line>: <Category>: <message>"
FIRST_LINE = re.compile(r"warning:(?P<file>.+?):(?P<line>\d+): (?P<category>\w+): (?P<text>.*)")


def _ours(path: str) -> bool:
    return any(part in Path(path).parts for part in ("segearth_qgis", "segearth_engine"))


def test_a_normal_question_logs_no_warning_of_ours(plugin, rgbn_layer, tmp_path, wait_task):
    import qgis.utils
    from qgis.core import QgsApplication

    from segearth_engine.tiny_models.r1 import make_tiny_model

    model = make_tiny_model(tmp_path / "tiny", seed=0)  # fresh: its graphs are exported by this question
    logged: list[str] = []

    def on_message(message: str, tag: str, _level) -> None:
        if tag == "Python warning":
            logged.append(message)

    log = QgsApplication.messageLog()
    log.messageReceived.connect(on_message)
    try:
        with warnings.catch_warnings():
            warnings.resetwarnings()
            warnings.simplefilter("default")  # as qgis/utils.py at QGIS start-up
            warnings.showwarning = qgis.utils.showWarning
            plugin.dock.follow_layer(rgbn_layer)
            plugin.dock.model_panel.set_model_dir(str(model))
            plugin.dock.question.setPlainText("where could a small plane land?")
            task = plugin.run_request(plugin.dock.build_request())
            assert task is not None, plugin.dock.stage.text()
            wait_task(task, 600)
            assert task.error is None, task.error
            assert plugin.last_result_layer is not None and plugin.last_result_layer.isValid()
            gc.collect()  # unclosed files and sockets warn when collected
            process_events_until(lambda: False, 0.5)  # messages from the task's threads arrive queued
    finally:
        log.messageReceived.disconnect(on_message)
    parsed = [FIRST_LINE.match(message.splitlines()[0]) for message in logged]
    ours = [f"{m['file']}:{m['line']}: {m['category']}: {m['text']}" for m in parsed if m and _ours(m["file"])]
    assert not ours, "\n".join(ours)
    assert all(parsed), logged  # every logged warning was read (the format is QGIS's)
