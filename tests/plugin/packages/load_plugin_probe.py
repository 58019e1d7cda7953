"""Run in a fresh process by test_dependencies.py: load the plugin in real QGIS (pytest-qgis's interface stub), with
some top-level packages made unimportable, and print as JSON which heavy modules got imported and what the dock says.

Usage: python load_plugin_probe.py BLOCKED(comma-separated, may be empty) REPO
"""

import json
import sys

BLOCKED = {name for name in sys.argv[1].split(",") if name}


class Blocker:
    """A meta-path finder making the BLOCKED packages look uninstalled."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Blocker())
from pytest_qgis.mock_qgis_classes import MockMessageBar  # noqa: E402
from pytest_qgis.qgis_interface import QgisInterface  # noqa: E402  (imported before the app, as pytest-qgis does)
from qgis.core import QgsApplication  # noqa: E402
from qgis.gui import QgsMapCanvas  # noqa: E402
from qgis.PyQt.QtWidgets import QMainWindow  # noqa: E402

app = QgsApplication([], True)
app.initQgis()
window = QMainWindow()
iface = QgisInterface(QgsMapCanvas(window), MockMessageBar(), window)
sys.path.insert(0, sys.argv[2])
from segearth_qgis import classFactory  # noqa: E402

plugin = classFactory(iface)
plugin.initGui()
HEAVY = ("torch", "transformers", "onnxruntime", "onnx", "segearth_engine.models.r1.segmenter",
         "segearth_engine.pipeline.raster",
         "segearth_engine.models.r1.modeling", "rasterio")
panel = plugin.dock.model_panel
report = {"plugin": type(plugin).__name__, "heavy_imported": [m for m in HEAVY if m in sys.modules],
          "status": panel.status.text(), "install_visible": not panel.install.isHidden(),
          "actions": len(plugin.actions)}
plugin.unload()
del plugin, iface, window
print("PROBE " + json.dumps(report))
sys.stdout.flush()
app.exitQgis()
