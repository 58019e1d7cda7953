"""Runs inside the real QGIS desktop (qgis --code): load a raster, ask the plugin a question, report, screenshot, quit.

Environment: SEGEARTH_SMOKE_RASTER, SEGEARTH_SMOKE_MODEL, SEGEARTH_SMOKE_REPORT (JSON path), SEGEARTH_ARTIFACTS
(screenshot folder), SEGEARTH_SMOKE_QUESTION, SEGEARTH_SMOKE_TIMEOUT (seconds, default 240).
Everything happens from QTimer callbacks so the QGIS event loop keeps running (the task needs it).
"""

import json
import os
import re
import sys
import time
import traceback
from pathlib import Path

from qgis.core import Qgis, QgsApplication, QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.utils import iface, plugins

REPORT = Path(os.environ.get("SEGEARTH_SMOKE_REPORT", "smoke_report.json"))
ARTIFACTS = Path(os.environ.get("SEGEARTH_ARTIFACTS", "artifacts"))
RASTER = os.environ.get("SEGEARTH_SMOKE_RASTER", "")
MODEL = os.environ.get("SEGEARTH_SMOKE_MODEL", "")
QUESTION = os.environ.get("SEGEARTH_SMOKE_QUESTION", "where could a small plane land?")
DEADLINE = time.monotonic() + float(os.environ.get("SEGEARTH_SMOKE_TIMEOUT", "240"))
PLUGIN_DEADLINE = time.monotonic() + 90  # QGIS restores plugins a few seconds after start; 90 s is plenty
state = {"report": {"started": time.time(), "steps": [], "log_warnings": []}, "task": None, "timer": None}
OURS = re.compile(r"^warning:(\S*(?:segearth_qgis|segearth_engine)\S*?):(\d+): (\w+):")  # QGIS's showwarning text


def log_message(message, tag, level):
    """QGIS's message log from the question on; a Python warning raised in our code is one of ours."""
    if level >= Qgis.MessageLevel.Warning:
        ours = OURS.match(message) if tag == "Python warning" else None
        where = f"{ours.group(3)} {Path(ours.group(1)).name}:{ours.group(2)}" if ours else None
        state["report"]["log_warnings"].append({"tag": tag, "level": int(level), "message": message[:2000],
                                                 "ours": where})


def step(name):
    state["report"]["steps"].append([round(time.monotonic(), 2), name])


def versions():
    out = {"qgis": Qgis.QGIS_VERSION, "python": sys.version.split()[0], "sys_path_has_venv": any(
        ".venv" in p for p in sys.path)}
    for name in ("numpy", "torch", "onnxruntime", "transformers", "shapely", "rasterio", "qtpy", "segearth_engine"):
        try:
            module = __import__(name)
            out[name] = str(getattr(module, "__version__", "?"))
        except Exception as exc:  # noqa: BLE001
            out[name] = f"error: {exc}"
    try:
        import rasterio

        out["rasterio_gdal"] = rasterio.__gdal_version__
    except Exception as exc:  # noqa: BLE001
        out["rasterio_gdal"] = f"error: {exc}"
    try:
        from osgeo import gdal

        out["osgeo_gdal"] = gdal.__version__
    except Exception as exc:  # noqa: BLE001
        out["osgeo_gdal"] = f"error: {exc}"
    try:
        import onnxruntime

        out["onnx_providers"] = onnxruntime.get_available_providers()
    except Exception:  # noqa: BLE001
        pass
    return out


def geo_probe():
    """Debian's shapely/rasterio/pyproj inside the desktop, where QGIS's GDAL/GEOS/PROJ are already loaded globally:
    PyPI wheels fail exactly here (WKB GEOSException, wrong PROJ), while a plain pytest process hides it."""
    out = {}
    try:
        import numpy as np
        from affine import Affine
        from shapely import wkb
        from shapely.geometry import Point, shape

        geom = Point(500000.0, 4600000.0).buffer(10.0)
        out["shapely_wkb_roundtrip"] = abs(wkb.loads(geom.wkb).area - geom.area) < 1e-6
        from rasterio import features

        mask = np.zeros((8, 8), np.uint8)
        mask[2:6, 2:6] = 1
        polygons = [shape(g) for g, _ in features.shapes(mask, mask=mask.astype(bool),
                                                        transform=Affine(2.0, 0, 500000.0, 0, -2.0, 4600000.0))]
        out["rasterio_shapes_area"] = sum(p.area for p in polygons)
        from pyproj import Transformer

        lon, lat = Transformer.from_crs("EPSG:32618", "EPSG:4326", always_xy=True).transform(500000.0, 0.0)
        out["pyproj_lon_lat"] = [round(lon, 9), round(lat, 9)]
    except Exception:  # noqa: BLE001
        out["error"] = traceback.format_exc()
    libs = {}
    with open("/proc/self/maps", encoding="utf-8") as maps:
        for line in maps:
            path = line.split()[-1] if "/" in line else ""
            for name in ("libgdal", "libgeos_c", "libproj"):
                if Path(path).name.startswith(name + "."):
                    libs.setdefault(name, set()).add(path)
    out["libraries"] = {name: sorted(paths) for name, paths in libs.items()}
    return out


def screenshot(name="qgis_desktop.png"):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    ok = iface.mainWindow().grab().save(str(path), "PNG")
    state["report"]["screenshot"] = str(path) if ok else None
    plugin = plugins.get("segearth_qgis")
    if plugin is not None and getattr(plugin, "dock", None) is not None:
        plugin.dock.grab().save(str(ARTIFACTS / "segearth_dock.png"), "PNG")


def finish(ok):
    report = state["report"]
    report["ok"] = bool(ok)
    report["versions"] = versions()
    report["our_warnings"] = [entry["ours"] for entry in report["log_warnings"] if entry["ours"]]
    report["geo_probe"] = geo_probe()
    report["elapsed_s"] = round(time.time() - report["started"], 1)
    try:
        screenshot()
    except Exception as exc:  # noqa: BLE001
        report["screenshot_error"] = str(exc)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    sys.stdout.flush()
    QgsProject.instance().setDirty(False)
    os._exit(0 if ok else 1)  # skip teardown: exit-time segfaults must not hide a good report


def fail(message):
    state["report"]["error"] = message
    finish(False)


def start():
    try:
        plugin = plugins.get("segearth_qgis")
        if plugin is None:
            if time.monotonic() < PLUGIN_DEADLINE:
                if not state["report"]["steps"] or state["report"]["steps"][-1][1] != "waiting for the plugin":
                    step("waiting for the plugin")
                QTimer.singleShot(500, start)  # plugins may still be loading
                return
            fail("plugin segearth_qgis is not loaded: " + ", ".join(sorted(plugins)))
            return
        step("plugin loaded")
        report = state["report"]
        report["plugin_loaded"] = True
        iface.mainWindow().resize(1600, 1000)
        report["dock_visible"] = bool(plugin.dock is not None and plugin.dock.isVisible())
        layer = iface.addRasterLayer(RASTER, Path(RASTER).stem)
        if layer is None or not layer.isValid():
            fail(f"raster {RASTER} did not load")
            return
        iface.setActiveLayer(layer)
        iface.mapCanvas().setExtent(layer.extent())
        report["raster_crs"] = layer.crs().authid()
        plugin.dock.follow_layer(layer)
        plugin.dock.question.setPlainText(QUESTION)
        plugin.dock.model_panel.set_model_dir(MODEL)
        report["model_status"] = plugin.dock.model_panel.status.text()
        QgsApplication.messageLog().messageReceived.connect(log_message)  # from the question on
        task = plugin.run_request(plugin.dock.build_request())
        if task is None:
            bar = iface.messageBar().currentItem()
            fail("run_request refused: " + (bar.text() if bar is not None else plugin.dock.stage.text()))
            return
        state["task"] = task
        step("task started")
        QTimer.singleShot(200, poll)
    except Exception:  # noqa: BLE001
        fail(traceback.format_exc())


def poll():
    try:
        plugin = plugins["segearth_qgis"]
        report = state["report"]
        if plugin.task is not None:
            if time.monotonic() > DEADLINE:
                plugin.cancel()
                fail("timed out waiting for the SegEarth task; stage: " + plugin.dock.stage.text())
                return
            QTimer.singleShot(200, poll)
            return
        step("task finished")
        task = state["task"]
        report["stage_text"] = plugin.dock.stage.text()
        report["device"] = plugin.dock.model_panel.device.text()
        report["task_error"] = task.error
        layer = plugin.last_result_layer
        report["result_layer"] = layer.name() if layer is not None else None
        if layer is None:
            fail("no result layer; " + str(task.error))
            return
        report["feature_count"] = layer.featureCount()
        report["result_crs"] = layer.crs().authid()
        report["fields"] = layer.fields().names()
        report["in_project"] = QgsProject.instance().mapLayer(layer.id()) is not None
        group = QgsProject.instance().layerTreeRoot().findGroup("SegEarth results")
        report["in_group"] = group is not None and group.findLayer(layer.id()) is not None
        iface.mapCanvas().refreshAllLayers()
        QTimer.singleShot(2500, lambda: finish(True))  # let the canvas render before the screenshot
    except Exception:  # noqa: BLE001
        fail(traceback.format_exc())


def watchdog():
    if time.monotonic() > DEADLINE + 30:
        fail("watchdog: the smoke run hung")
    QTimer.singleShot(1000, watchdog)


# keep timers alive: QGIS executes this file with exec(); module globals persist in its namespace
QTimer.singleShot(1500, start)
QTimer.singleShot(1000, watchdog)
QgsApplication.processEvents()
