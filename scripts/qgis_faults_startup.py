"""Runs inside the real QGIS desktop (qgis --code, via desktop_smoke.sh with SEGEARTH_SMOKE_SCRIPT): the plugin under
faults, as a hostile but realistic user drives it. Each scenario records what the user sees (stage line, message bar,
project state) and every "Python error" QGIS logs or shows (its excepthook's dialog); screenshots for each.

Scenarios: File > New while a tiled question runs; the result layer removed, then Export… and Score pressed; an export
onto a full disk (SEGEARTH_FAULTS_DISK, a small tmpfs the test mounted) watched in the task manager; the dock's X and
the toolbar button; a Chinese question (the line under the answer).
Environment: SEGEARTH_SMOKE_RASTER, SEGEARTH_SMOKE_MODEL, SEGEARTH_SMOKE_REPORT, SEGEARTH_ARTIFACTS,
SEGEARTH_FAULTS_DISK, SEGEARTH_SMOKE_TIMEOUT.
"""

import json
import os
import time
import traceback
from pathlib import Path

from qgis.core import QgsApplication, QgsProject, QgsRasterLayer, QgsTask
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QAbstractButton, QApplication
from qgis.utils import iface, plugins

REPORT = Path(os.environ.get("SEGEARTH_SMOKE_REPORT", "faults_report.json"))
ARTIFACTS = Path(os.environ.get("SEGEARTH_ARTIFACTS", "artifacts"))
RASTER = os.environ.get("SEGEARTH_SMOKE_RASTER", "")
MODEL = os.environ.get("SEGEARTH_SMOKE_MODEL", "")
DISK = Path(os.environ.get("SEGEARTH_FAULTS_DISK", "/nonexistent"))
DEADLINE = time.monotonic() + float(os.environ.get("SEGEARTH_SMOKE_TIMEOUT", "400"))
report = {"scenarios": {}, "python_errors": [], "dialogs": []}
state = {"steps": [], "wait": None, "scenario": None}


def on_log(message, tag, _level):
    if tag == "Python error":  # what QGIS's excepthook logs before its message bar item or dialog
        report["python_errors"].append({"scenario": state["scenario"], "error": message[-600:]})


QgsApplication.messageLog().messageReceived.connect(on_log)


def close_dialogs():
    """Record and close any dialog that popped up (a Python error dialog would block the user)."""
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible() and widget is not iface.mainWindow() and widget.isWindow() and \
                type(widget).__name__ in ("QgsMessageViewer", "QMessageBox", "QDialog"):
            report["dialogs"].append({"scenario": state["scenario"], "title": widget.windowTitle(),
                                      "class": type(widget).__name__})
            widget.close()


def shot(name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    iface.mainWindow().grab().save(str(ARTIFACTS / f"faults_{name}.png"), "PNG")


def bar_text():
    item = iface.messageBar().currentItem()
    return item.text() if item is not None else ""


def plugin():
    return plugins["segearth_qgis"]


def add_raster():
    layer = QgsRasterLayer(RASTER, "scene")
    QgsProject.instance().addMapLayer(layer)
    iface.setActiveLayer(layer)
    iface.mapCanvas().setExtent(layer.extent())
    return layer


def ask(question, mode="view"):
    dock = plugin().dock
    dock.follow_layer(add_raster() if not QgsProject.instance().mapLayersByName("scene") else
                      QgsProject.instance().mapLayersByName("scene")[0])
    dock.question.setPlainText(question)
    dock.model_panel.set_model_dir(MODEL)
    dock.mode_combo.setCurrentIndex(dock.mode_combo.findData(mode))
    return plugin().run_request(dock.build_request())


def idle():
    return plugin().task is None


# -- scenarios: each step returns a predicate to wait for (or None) ---------------------------------------------------
def file_new_start():
    state["scenario"] = "file_new_during_run"
    task = ask("the bright square", mode="tiled")
    report["scenarios"]["file_new_during_run"] = {"started": task is not None}
    iface.newProject(False)  # File > New, without the save prompt
    return idle


def file_new_check():
    project = QgsProject.instance()
    report["scenarios"]["file_new_during_run"].update(
        layers=[layer.name() for layer in project.mapLayers().values()],
        group=project.layerTreeRoot().findGroup("SegEarth results") is not None, dirty=project.isDirty(),
        stage=plugin().dock.stage.text(), message=bar_text())
    shot("file_new")


def removed_layer_start():
    state["scenario"] = "removed_layer_export_score"
    ask("飞机可以在哪里降落？")  # a Chinese question: the line under the answer
    return idle


def removed_layer_act():
    dock = plugin().dock
    result = plugin().last_result_layer
    report["scenarios"]["language_note"] = {"note": dock.note.text() if hasattr(dock, "note") else None,
                                            "result": result.name() if result is not None else None}
    shot("language_note")
    if result is not None:
        QgsProject.instance().removeMapLayer(result.id())
    dock.export_button.click()
    plugin().score_panel.button.click()
    report["scenarios"]["removed_layer_export_score"] = {"message": bar_text(),
                                                         "score": plugin().score_panel.summary.text()}
    shot("removed_layer")


def full_disk_start():
    state["scenario"] = "export_full_disk"
    return idle if ask("where could a small plane land?") is not None else None


def full_disk_export():
    from shapely.geometry import box

    from segearth_qgis.results.layers import add_result_layer, build_result_layer

    target = DISK / "answer.gpkg"
    crs = plugin().last_result_layer.crs()

    def result(count, text):
        return add_result_layer(build_result_layer(
            [(box(i * 3, 0, i * 3 + 2, 2), {"question": text}) for i in range(count)], "polygons", crs, {}))

    wait_export(plugin().export(result(2, "old"), str(target)))  # a small old file first
    big = result(6000, "q " * 100)
    before = target.read_bytes() if target.exists() else b""
    task = plugin().export(big, str(target), confirm=lambda _plan: True)
    entry = {"background_task": isinstance(task, QgsTask), "old_size": len(before)}
    if isinstance(task, QgsTask):
        entry["in_task_manager"] = task in QgsApplication.taskManager().tasks()
        state["export"] = task
        QTimer.singleShot(30, lambda: shot("export_running"))
    report["scenarios"]["export_full_disk"] = entry
    state["before"] = before
    return lambda: not isinstance(task, QgsTask) or task not in plugin().exporter.tasks


def wait_export(task):
    deadline = time.monotonic() + 120
    while isinstance(task, QgsTask) and task in plugin().exporter.tasks and time.monotonic() < deadline:
        QgsApplication.processEvents()
        time.sleep(0.02)


def full_disk_check():
    target = DISK / "answer.gpkg"
    entry = report["scenarios"]["export_full_disk"]
    entry.update(message=bar_text(), old_kept=target.exists() and target.read_bytes() == state["before"],
                 stages=[p.name for p in DISK.iterdir() if p.name.endswith(".segearth-tmp")])
    shot("export_full_disk")


def dock_x():
    state["scenario"] = "dock_x"
    dock = plugin().dock
    close = dock.findChild(QAbstractButton, "qt_dockwidget_closebutton")
    close.click()  # the dock's own X
    entry = {"hidden": dock.isHidden(), "button_checked_after_x": plugin().dock_action.isChecked()}
    QgsApplication.processEvents()
    shot("dock_closed")
    plugin().dock_action.trigger()  # one click on the toolbar button
    entry["visible_after_one_click"] = not dock.isHidden()
    report["scenarios"]["dock_x"] = entry
    shot("dock_x")


STEPS = [file_new_start, file_new_check, removed_layer_start, removed_layer_act, full_disk_start, full_disk_export,
         full_disk_check, dock_x]


def finish(ok, error=None):
    report["ok"] = ok
    if error:
        report["error"] = error
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    QgsProject.instance().setDirty(False)
    os._exit(0 if ok else 1)


def tick():
    try:
        close_dialogs()
        if time.monotonic() > DEADLINE:
            finish(False, f"timed out in {state['scenario']}")
        if "segearth_qgis" not in plugins:
            QTimer.singleShot(500, tick)
            return
        if state["wait"] is not None and not state["wait"]():
            QTimer.singleShot(100, tick)
            return
        state["wait"] = None
        if not STEPS:
            finish(True)
            return
        iface.mainWindow().resize(1600, 1000)
        step = STEPS.pop(0)
        state["wait"] = step()
        QTimer.singleShot(300, tick)
    except Exception:  # noqa: BLE001 - the report says where it broke
        finish(False, traceback.format_exc())


watchdog = QTimer()  # fires inside a modal dialog's own event loop too: a blocking dialog is recorded and closed
watchdog.timeout.connect(close_dialogs)
watchdog.start(500)
QTimer.singleShot(2000, tick)
