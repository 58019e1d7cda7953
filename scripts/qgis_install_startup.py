"""Runs inside the real QGIS desktop (qgis --code) on a fresh profile with only the plugin zip installed: checks the
set-up dock, presses "Install dependencies…", presses Install in the dialog, waits for pip, reports JSON, quits.

Environment: SEGEARTH_INSTALL_REPORT (JSON path), SEGEARTH_INSTALL_TIMEOUT (seconds, default 1500),
SEGEARTH_WHEELHOUSE (a folder of wheels: the dialog's "Use a folder of wheels…", offline install).
"""

import json
import os
import time
import traceback
from pathlib import Path

from qgis.PyQt.QtCore import QTimer
from qgis.utils import iface, plugins

REPORT = Path(os.environ.get("SEGEARTH_INSTALL_REPORT", "install_report.json"))
DEADLINE = time.monotonic() + float(os.environ.get("SEGEARTH_INSTALL_TIMEOUT", "1500"))
PLUGIN_DEADLINE = time.monotonic() + 90
state = {"report": {"started": time.time()}, "dialog": None, "t0": None}


def finish(ok):
    report = state["report"]
    report["ok"] = bool(ok)
    dialog = state["dialog"]
    if dialog is not None:
        report["log_tail"] = dialog.log.toPlainText()[-4000:]
        report["outcome"] = dialog.outcome_text
        report["dialog_state"] = dialog.state
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    os._exit(0 if ok else 1)


def fail(message):
    state["report"]["error"] = message
    finish(False)


def start():
    try:
        plugin = plugins.get("segearth_qgis")
        if plugin is None:
            if time.monotonic() < PLUGIN_DEADLINE:
                QTimer.singleShot(500, start)
                return
            fail("plugin segearth_qgis is not loaded: " + ", ".join(sorted(plugins)))
            return
        report = state["report"]
        report["plugin"] = type(plugin).__name__
        dock = plugin.dock
        report["dock_visible"] = bool(dock is not None and dock.isVisible())
        report["dock_text"] = dock.status.text() if dock is not None else None
        button = getattr(dock, "install", None) or getattr(getattr(dock, "model_panel", None), "install", None)
        if button is None or button.isHidden():
            fail("no visible install button")
            return
        button.click()  # what the user does
        dialog = getattr(plugin, "dialog", None) or getattr(plugin, "install_dialog", None)
        state["dialog"] = dialog
        if dialog is None or not dialog.isVisible():
            fail("the install button opened no dialog")
            return
        wheelhouse = os.environ.get("SEGEARTH_WHEELHOUSE")
        if wheelhouse:
            dialog.replan(Path(wheelhouse))  # what "Use a folder of wheels…" does with the chosen folder
        report["summary"] = dialog.summary.text()
        if not dialog.install.isEnabled():
            fail("the dialog refuses to install: " + dialog.summary.text())
            return
        state["t0"] = time.monotonic()
        dialog.install.click()  # the one confirmation
        QTimer.singleShot(500, poll)
    except Exception:  # noqa: BLE001
        fail(traceback.format_exc())


def poll():
    try:
        dialog = state["dialog"]
        if dialog.state == "running":
            if time.monotonic() > DEADLINE:
                dialog.cancel_or_close()
                fail("timed out waiting for pip")
                return
            QTimer.singleShot(500, poll)
            return
        report = state["report"]
        report["install_s"] = round(time.monotonic() - state["t0"], 1)
        from segearth_qgis.packages.dependencies import private_site_dir  # noqa: F401 - the plugin's own module, loaded
        iface.messageBar()  # the outcome was also pushed there
        finish(dialog.state == "done")
    except Exception:  # noqa: BLE001
        fail(traceback.format_exc())


QTimer.singleShot(1500, start)
