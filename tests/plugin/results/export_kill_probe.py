"""Run in a fresh process by test_export_kill.py: real QGIS (offscreen) and the plugin, as a user's QGIS would be.

Usage: python export_kill_probe.py REPO TARGET export|start
  export: export a large result layer over TARGET in the plugin's background task; prints "STAGED" once the engine's
          stage folder beside TARGET exists (the test then kills this process with SIGKILL), "DONE" if it ends first.
  start:  start the plugin (what QGIS does at its next start) and print "LEFT <json>": what is beside TARGET.
"""

import json
import os
import sys
from pathlib import Path

os.environ["GDAL_PAM_ENABLED"] = "NO"

from pytest_qgis.mock_qgis_classes import MockMessageBar  # noqa: E402
from pytest_qgis.qgis_interface import QgisInterface  # noqa: E402
from qgis.core import QgsApplication, QgsCoordinateReferenceSystem  # noqa: E402
from qgis.gui import QgsMapCanvas  # noqa: E402
from qgis.PyQt.QtCore import QTimer  # noqa: E402
from qgis.PyQt.QtWidgets import QMainWindow  # noqa: E402

REPO, TARGET, ACTION = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
app = QgsApplication([], True)
app.initQgis()
window = QMainWindow()
iface = QgisInterface(QgsMapCanvas(window), MockMessageBar(), window)
sys.path.insert(0, REPO)
from segearth_qgis import classFactory  # noqa: E402

plugin = classFactory(iface)
plugin.initGui()
if ACTION == "start":
    print("LEFT " + json.dumps(sorted(p.name for p in TARGET.parent.iterdir())), flush=True)
    os._exit(0)

from shapely.geometry import box  # noqa: E402

from segearth_qgis.results.layers import add_result_layer, build_result_layer  # noqa: E402

features = [(box(500000 + i * 3, 4600000, 500002 + i * 3, 4600002),
             {"question": "q " * 100, "model": "tiny", "mode": "view", "area_m2": 4.0, "mean_prob": 0.9})
            for i in range(150000)]
layer = add_result_layer(build_result_layer(features, "q", QgsCoordinateReferenceSystem("EPSG:32633"), {}))
task = plugin.export(layer, str(TARGET), confirm=lambda plan: True)


def watch() -> None:
    if any(p.name.endswith(".segearth-tmp") for p in TARGET.parent.iterdir()):
        print("STAGED", flush=True)
        return
    if task is None or plugin.exporter.tasks == []:
        print("DONE", flush=True)
        os._exit(0)
    QTimer.singleShot(5, watch)


QTimer.singleShot(0, watch)
app.exec()
