"""Run in a fresh process by test_responsiveness.py: real QGIS, the plugin, one question on a raster with a model,
while a QTimer on the GUI thread records the gaps between its ticks (a gap is a main-thread stall). A fresh process
because the first run is the one to measure: torch, transformers and onnxruntime are not imported yet.

Usage: python run_task_probe.py REPO RASTER MODEL ACTION
ACTION: "run", or "cancel:STAGE:DELAY" (cancel DELAY seconds after the stage STAGE began).
Prints one line "PROBE {json}": gaps [[start s, length ms, stage, ms waiting for a CPU]], the longest gap and the
longest once the wait for a CPU is taken out (blocked: by the GIL or work on this thread), stages, outcome.
"""

import json
import os
import sys
import time

os.environ["GDAL_PAM_ENABLED"] = "NO"  # no .aux.xml beside the test rasters

from pytest_qgis.mock_qgis_classes import MockMessageBar  # noqa: E402
from pytest_qgis.qgis_interface import QgisInterface  # noqa: E402  (imported before the app, as pytest-qgis does)
from qgis.core import QgsApplication, QgsProject, QgsRasterLayer, QgsTask  # noqa: E402
from qgis.gui import QgsMapCanvas  # noqa: E402
from qgis.PyQt.QtCore import QEventLoop, QTimer  # noqa: E402
from qgis.PyQt.QtWidgets import QMainWindow  # noqa: E402

REPO, RASTER, MODEL, ACTION = sys.argv[1:5]
TICK_MS = 10
HEAVY = ("torch", "transformers", "onnxruntime")

app = QgsApplication([], True)
app.initQgis()
window = QMainWindow()
iface = QgisInterface(QgsMapCanvas(window), MockMessageBar(), window)
sys.path.insert(0, REPO)
from segearth_qgis import classFactory  # noqa: E402

plugin = classFactory(iface)
plugin.initGui()
layer = QgsRasterLayer(RASTER, "raster")
QgsProject.instance().addMapLayer(layer)
dock = plugin.dock
dock.follow_layer(layer)
dock.question.setPlainText("where could a small plane land?")
dock.model_panel.set_model_dir(MODEL)
heavy_before = [name for name in HEAVY if name in sys.modules]
layers_before = len(QgsProject.instance().mapLayers())

start = time.monotonic()
state = {"stage": "starting", "last": start, "waited": 0.0, "cancel_at": None, "done_at": None}
gaps, stages = [], []


def runqueue_wait_s() -> float:
    """Time this (GUI) thread has spent runnable but waiting for a CPU that other processes held (Linux)."""
    try:
        with open("/proc/thread-self/schedstat") as handle:
            return int(handle.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def tick() -> None:
    now = time.monotonic()
    waited = runqueue_wait_s()
    if now - state["last"] > 0.05:
        # [start s, length ms, stage, ms of it spent waiting for a CPU: the machine's load, not a lock of ours]
        gap = [round(state["last"] - start, 3), round(1000 * (now - state["last"])), state["stage"],
               round(1000 * (waited - state["waited"]))]
        if os.environ.get("PROBE_STACKS"):  # where the other threads are now, just after the stall
            import threading
            import traceback

            gap.append([[f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}"
                         for f in traceback.extract_stack(frame)[-4:]]
                        for ident, frame in sys._current_frames().items() if ident != threading.get_ident()])
        gaps.append(gap)
    state["last"] = now
    state["waited"] = waited


def cancel() -> None:
    state["cancel_at"] = time.monotonic()
    plugin.cancel()


def on_stage(stage: str) -> None:
    state["stage"] = stage
    stages.append([round(time.monotonic() - start, 3), stage])
    if ACTION.startswith("cancel:"):
        _, wanted, delay = ACTION.split(":")
        if stage == wanted and state["cancel_at"] is None:
            state["cancel_at"] = -1.0  # armed
            QTimer.singleShot(int(1000 * float(delay)), cancel)


state["waited"] = runqueue_wait_s()
timer = QTimer()
timer.setInterval(TICK_MS)
timer.timeout.connect(tick)
timer.start()
task = plugin.run_request(dock.build_request())
assert task is not None, dock.stage.text()
task.stageChanged.connect(on_stage)
outcome = {}
task.statusChanged.connect(lambda status: outcome.update(status=int(status)))
plugin_done = task.on_done  # the plugin's own handler (running/questions.py)


def task_done(finished) -> None:  # the plugin's own handler, and what it saw (the task is deleted after it)
    outcome.update(cancelled=finished.cancelled, error=finished.error, description=finished.description())
    plugin_done(finished)


task.on_done = task_done
loop = QEventLoop()


def check_done() -> None:
    if plugin.task is None:
        if state["done_at"] is None:
            state["done_at"] = time.monotonic()
            QTimer.singleShot(300, loop.quit)  # let late signals arrive


poll = QTimer()
poll.setInterval(5)
poll.timeout.connect(check_done)
poll.start()
QTimer.singleShot(600_000, loop.quit)
loop.exec()
timer.stop()
cancel_at = state["cancel_at"] if state["cancel_at"] and state["cancel_at"] > 0 else None
report = {
    "heavy_before": heavy_before,
    "gaps": gaps,
    "max_gap_ms": max([gap[1] for gap in gaps], default=0),
    "max_blocked_ms": max([gap[1] - gap[3] for gap in gaps], default=0),
    "stages": stages,
    "seconds": round((state["done_at"] or time.monotonic()) - start, 3),
    "cancel_latency_s": round(state["done_at"] - cancel_at, 3) if cancel_at and state["done_at"] else None,
    "complete": outcome.get("status") == int(QgsTask.TaskStatus.Complete),
    "terminated": outcome.get("status") == int(QgsTask.TaskStatus.Terminated),
    "cancelled": outcome.get("cancelled"),
    "error": outcome.get("error"),
    "description": outcome.get("description"),
    "dock_stage": dock.stage.text(),
    "layers_added": len(QgsProject.instance().mapLayers()) - layers_before,
}
plugin.unload()
print("PROBE " + json.dumps(report))
sys.stdout.flush()
app.exitQgis()
