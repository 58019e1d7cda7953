"""SegEarth QGIS plugin: ask a question about a raster layer, get polygons back.

`classFactory` must stay cheap and must not fail: it picks the Qt binding for qtpy, puts the engine shipped inside
the plugin (_vendor) and the private dependency folder on sys.path, and returns a stand-in plugin with a set-up dock
when the UI layer cannot import.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "_vendor"


def _add_vendored_engine() -> None:
    """The zip carries the pure-Python engine in _vendor; appended, so a development install of it wins."""
    if VENDOR.is_dir() and str(VENDOR) not in sys.path:
        sys.path.append(str(VENDOR))


def _select_qt_api() -> None:
    """Make qtpy use the binding QGIS itself runs on (PyQt5 for QGIS 3, PyQt6 for QGIS 4)."""
    try:
        from qgis.PyQt.QtCore import QT_VERSION_STR
    except ImportError:  # outside QGIS: let qtpy decide
        return
    os.environ.setdefault("QT_API", "pyqt6" if QT_VERSION_STR.startswith("6") else "pyqt5")


def classFactory(iface):  # noqa: N802 - name fixed by QGIS
    """Entry point QGIS calls with its QgisInterface."""
    _select_qt_api()
    _add_vendored_engine()
    from .packages.dependencies import add_private_site_dir

    add_private_site_dir()
    try:
        from .plugin import SegEarthPlugin
    except ImportError as exc:  # qtpy missing: a set-up dock instead of a crash
        from .packages.fallback import FallbackPlugin

        return FallbackPlugin(iface, exc)
    return SegEarthPlugin(iface)
