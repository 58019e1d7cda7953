"""Runs inside the real QGIS desktop (qgis --code): a new user's first run against a local model hub, through QGIS's
proxy (with a user name and password). The dock's first-run guide; Download refused (401); Download with a wrong
byte (removed, said); Download with progress, Cancel; Resume download, which waits for a 429 and gets over a
dropped connection; the verified model, the first load's stage, then a first question. A screenshot at each step
and a JSON report.

Environment: SEGEARTH_HUB_URL (the local hub, typed into the panel's "Hub address" as a user would),
SEGEARTH_MODELS_DIR (the "Download to" folder), SEGEARTH_PROXY_PORT / _USER / _PASSWORD (QGIS's proxy),
SEGEARTH_SMOKE_RASTER, SEGEARTH_SMOKE_REPORT, SEGEARTH_ARTIFACTS (screenshots), SEGEARTH_SMOKE_TIMEOUT. The hub's
faults are switched through its /_control address.
Everything happens from QTimer callbacks so that QGIS's event loop keeps running.
"""

import json
import os
import time
import traceback
import urllib.request
from pathlib import Path

from qgis.core import QgsApplication, QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.utils import iface, plugins

REPORT = Path(os.environ.get("SEGEARTH_SMOKE_REPORT", "download_report.json"))
ARTIFACTS = Path(os.environ.get("SEGEARTH_ARTIFACTS", "artifacts"))
HUB = os.environ.get("SEGEARTH_HUB_URL", "")
MODELS = os.environ.get("SEGEARTH_MODELS_DIR", "")
PROXY_PORT = os.environ.get("SEGEARTH_PROXY_PORT", "")
PROXY_USER = os.environ.get("SEGEARTH_PROXY_USER", "")
PROXY_PASSWORD = os.environ.get("SEGEARTH_PROXY_PASSWORD", "")
RASTER = os.environ.get("SEGEARTH_SMOKE_RASTER", "")
QUESTION = "where could a small plane land?"
DEADLINE = time.monotonic() + float(os.environ.get("SEGEARTH_SMOKE_TIMEOUT", "400"))
state = {"report": {"started": time.time(), "steps": {}}, "waits": 0}


def plugin():
    return plugins["segearth_qgis"]


def hub_control(**faults):
    query = "&".join(f"{k}={v}" for k, v in faults.items())
    with urllib.request.urlopen(f"{HUB}/_control?{query}", timeout=10) as answer:  # noqa: S310 - the local hub
        return json.loads(answer.read())


def shot(name):
    """The main window, the dock and its model panel, as PNGs; returns what the dock shows."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    iface.mainWindow().grab().save(str(ARTIFACTS / f"{name}.png"), "PNG")
    dock = plugin().dock
    dock.grab().save(str(ARTIFACTS / f"{name}_dock.png"), "PNG")
    dock.model_panel.grab().save(str(ARTIFACTS / f"{name}_model_panel.png"), "PNG")  # below the fold in the dock
    guide, panel = dock.first_run, dock.model_panel
    seen = {"guide_state": guide.state, "guide_title": guide.title.text(), "guide_text": guide.text.text(),
            "guide_progress": guide.progress.label.text() if guide.progress.isVisible() else "",
            "panel_progress": panel.progress.label.text() if panel.progress.isVisible() else "",
            "panel_status": panel.status.text(), "run_enabled": dock.run_button.isEnabled(),
            "run_tooltip": dock.run_button.toolTip(), "stage": dock.stage.text(),
            "download_button": guide.download.text() if guide.download.isVisible() else "",
            "model_dir": panel.model_dir(), "at": round(time.monotonic(), 2)}
    bar = iface.messageBar().currentItem()
    seen["message_bar"] = bar.text() if bar is not None else ""
    state["report"]["steps"][name] = seen
    return seen


def finish(ok, error=""):
    report = state["report"]
    report["ok"], report["error"] = bool(ok), error
    report["elapsed_s"] = round(time.time() - report["started"], 1)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    QgsProject.instance().setDirty(False)
    os._exit(0 if ok else 1)


def guarded(step):
    def run():
        try:
            if time.monotonic() > DEADLINE:
                finish(False, f"timed out in {step.__name__}; guide {plugin().dock.first_run.state}")
                return
            step()
        except Exception:  # noqa: BLE001
            finish(False, traceback.format_exc())
    return run


def later(step, ms=200):
    QTimer.singleShot(ms, guarded(step))


def start():
    if "segearth_qgis" not in plugins:
        later(start, 500)
        return
    iface.mainWindow().resize(1600, 1000)
    layer = iface.addRasterLayer(RASTER, Path(RASTER).stem)
    iface.setActiveLayer(layer)
    iface.mapCanvas().setExtent(layer.extent())
    use_qgis_proxy()
    panel = plugin().dock.model_panel
    panel.download_options.endpoint.setText(HUB)  # as a user types a mirror's address
    panel.download_options.endpoint.editingFinished.emit()
    panel.download_options.folder.setFilePath(MODELS)
    plugin().dock.question.setPlainText(QUESTION)
    later(first_run, 1500)


def use_qgis_proxy():
    """What Settings > Options > Network > Proxy writes (an HTTP proxy with a user name and password), applied as
    the dialog's OK applies it."""
    from qgis.core import QgsNetworkAccessManager, QgsSettings

    settings = QgsSettings()
    for key, value in (("proxyEnabled", "true"), ("proxyType", "HttpProxy"), ("proxyHost", "127.0.0.1"),
                       ("proxyPort", PROXY_PORT), ("proxyUser", PROXY_USER), ("proxyPassword", PROXY_PASSWORD)):
        settings.setValue(f"proxy/{key}", value)
    QgsNetworkAccessManager.instance().setupDefaultProxyAndCache()


def press_download(then, **faults):
    hub_control(**faults)
    plugin().dock.first_run.download.click()  # the guide's Download / Resume download
    later(then, 300)


def first_run():
    shot("01_first_run")
    press_download(refused, unauthorized=1)


def refused():
    if plugin().downloader.task is not None:
        later(refused)
        return
    shot("02_refused_401")
    press_download(wrong_byte, unauthorized=0, wrong_byte_at=100)


def wrong_byte():
    if plugin().downloader.task is not None:
        later(wrong_byte)
        return
    shot("03_wrong_byte")
    press_download(progress, wrong_byte_at=-1, rate_bps=2_000_000)


def progress():
    task = plugin().downloader.task
    if task is None or task.progress() < 35:
        later(progress)
        return
    seen = shot("04_progress")
    seen["task_manager_progress"] = round(task.progress(), 1)
    seen["task_description"] = task.description()
    state["cancel_asked"] = time.monotonic()
    plugin().dock.model_panel.progress.cancel.click()
    later(cancelled, 50)


def cancelled():
    if plugin().downloader.task is not None:
        later(cancelled, 50)
        return
    state["report"]["cancel_latency_s"] = round(time.monotonic() - state["cancel_asked"], 3)
    later(lambda: (shot("05_cancelled"), press_download(waiting, rate_bps=3_000_000, rate_limited=1,
                                                        retry_after_s=2, drops=1, drop_after=4_000_000)), 300)


def waiting():
    """The resumed download first meets a 429 (Retry-After 2 s), then a connection dropped mid-file."""
    if not plugin().dock.model_panel.progress.label.text().startswith("Waiting"):
        later(waiting, 100)
        return
    shot("06_resumed_waiting")
    later(verified)


def verified():
    if plugin().downloader.task is not None:
        later(verified)
        return
    shot("07_verified")
    later(export_stage, 100)


def export_stage():
    guide = plugin().dock.first_run
    if guide.state != "preparing":
        if guide.state in ("ready", "note", "stopped"):
            finish(False, f"the export stage was not shown (guide {guide.state}: {guide.text.text()})")
            return
        later(export_stage, 100)
        return
    state["waits"] += 1
    if state["waits"] < 15:  # about 3 s into the stage, so that its time and bytes show
        later(export_stage, 200)
        return
    shot("08_export_stage")
    later(ready, 500)


def ready():
    guide = plugin().dock.first_run
    if guide.state == "preparing":
        later(ready, 500)
        return
    seen = shot("09_ready")
    if guide.state != "ready":
        finish(False, f"after the export the guide is {guide.state}: {guide.text.text()}")
        return
    seen["device"] = plugin().dock.model_panel.device.text()
    plugin().dock.run_button.click()  # the first question
    later(answered, 500)


def answered():
    if plugin().task is not None:
        later(answered, 500)
        return
    iface.mapCanvas().refreshAllLayers()
    later(answer_on_map, 2500)  # the canvas draws the answer before the screenshot


def answer_on_map():
    layer = plugin().last_result_layer
    seen = shot("10_first_answer")
    seen["result_layer"] = layer.name() if layer is not None else None
    seen["feature_count"] = layer.featureCount() if layer is not None else None
    finish(layer is not None, "" if layer is not None else "no result layer")


QTimer.singleShot(1500, guarded(start))
QgsApplication.processEvents()
